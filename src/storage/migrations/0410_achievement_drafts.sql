-- Deep Linking drafts: an achievement created in the picker stays a draft (confirmed_at
-- NULL) until the LMS shows it saved the activity (a launch of its resource link, or
-- its line item in the course); unconfirmed drafts are purged. Everything else,
-- existing rows included, is confirmed at creation.
ALTER TABLE achievements ADD COLUMN confirmed_at timestamptz DEFAULT now();
CREATE INDEX achievements_drafts ON achievements (created_at) WHERE confirmed_at IS NULL;
