-- Automatic issuance (criteria, outcomes, the exactly-once pipeline). Range 0400-0499.

-- The latest known state of one activity for one learner in one course, from any source
-- (AGS results, Moodle web services, Canvas REST, webhook). Replays and older events do
-- not change a row (see outcome-repository's upsert), which is what makes them no-ops.
CREATE TABLE outcomes (
  context_id uuid NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  activity text NOT NULL,
  score double precision,
  max double precision,
  completed boolean,
  at timestamptz NOT NULL,
  source text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (context_id, user_id, activity)
);

-- Activities a course's sources have reported (names for criteria editors and pages).
CREATE TABLE outcome_activities (
  context_id uuid NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
  activity text NOT NULL,
  name text NOT NULL,
  source text NOT NULL,
  max double precision,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (context_id, activity)
);

-- One award per achievement and learner: the constraint, not a convention, is what makes
-- issuance exactly once however many processes race. `state` walks
-- awarded -> signed -> posted, and revoking -> revoked.
CREATE TABLE awards (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  achievement_id uuid NOT NULL REFERENCES achievements (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  context_id uuid NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
  state text NOT NULL DEFAULT 'awarded' CHECK (state IN ('awarded', 'signed', 'posted', 'revoking', 'revoked')),
  origin text NOT NULL CHECK (origin IN ('criteria', 'manual')),
  -- Bumped when a revoked award is granted again, so the new credential gets a new id.
  generation integer NOT NULL DEFAULT 1,
  credential_id text REFERENCES credentials (id),
  line_item_url text,
  posted_at timestamptz,
  awarded_by text NOT NULL,
  reason text,
  revoked_at timestamptz,
  revoked_by text,
  revoke_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (achievement_id, user_id)
);
CREATE INDEX awards_context ON awards (context_id, achievement_id);

-- Every state change of an award: the pipeline's own record of what happened and when.
CREATE TABLE award_transitions (
  id bigserial PRIMARY KEY,
  award_id uuid NOT NULL REFERENCES awards (id) ON DELETE CASCADE,
  at timestamptz NOT NULL DEFAULT now(),
  from_state text,
  to_state text NOT NULL,
  actor text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX award_transitions_award ON award_transitions (award_id, id);

-- The durable work queue, claimed with FOR UPDATE SKIP LOCKED. A job whose lease ran out
-- (its process died) is claimed again. At most one queued job per (kind, key): a burst of
-- outcomes for one learner becomes one evaluation.
CREATE TABLE issuance_jobs (
  id bigserial PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('evaluate', 'advance_award')),
  key text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}'::jsonb,
  state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  run_after timestamptz NOT NULL DEFAULT now(),
  locked_by text,
  locked_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX issuance_jobs_one_queued ON issuance_jobs (kind, key) WHERE state = 'queued';
CREATE INDEX issuance_jobs_ready ON issuance_jobs (run_after, id) WHERE state = 'queued';
CREATE INDEX issuance_jobs_leased ON issuance_jobs (locked_until) WHERE state = 'running';

-- Per-platform shared secret of the outcomes webhook (HMAC-SHA256 key).
CREATE TABLE outcome_webhook_secrets (
  platform_id uuid PRIMARY KEY REFERENCES platforms (id) ON DELETE CASCADE,
  secret text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Webhook deliveries by idempotency key: a replay gets the first answer back and changes nothing.
CREATE TABLE outcome_webhook_deliveries (
  platform_id uuid NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
  idempotency_key text NOT NULL,
  body_sha256 text NOT NULL,
  result jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (platform_id, idempotency_key)
);

-- LMS REST connectors (Moodle web services token, Canvas API token), one per platform.
CREATE TABLE outcome_connectors (
  platform_id uuid PRIMARY KEY REFERENCES platforms (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('moodle', 'canvas')),
  base_url text NOT NULL,
  token text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
