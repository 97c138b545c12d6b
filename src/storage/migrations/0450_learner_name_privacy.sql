-- Whether the public credential page (/credentials/:id) shows the learner's name; the
-- learner sets it on their page. Default true: it keeps what every page showed before,
-- and the signed credential (downloadable as JSON from the same page) carries the name
-- anyway, so hiding it by default would promise a privacy the page cannot give alone.
ALTER TABLE users ADD COLUMN show_name_publicly boolean NOT NULL DEFAULT true;
