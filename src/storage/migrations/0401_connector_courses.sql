-- The LMS's own course id behind an LTI context, for the REST connectors: Moodle's LTI
-- context id is its course id, Canvas's is an opaque hash (its numeric course id comes
-- from the launch's custom `canvas_course_id=$Canvas.course.id`, or an admin sets it).
CREATE TABLE outcome_connector_courses (
  context_id uuid PRIMARY KEY REFERENCES contexts (id) ON DELETE CASCADE,
  lms_course_id text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
