-- The course round trip (issue 12): roster, parked jobs that heal, one badge column that
-- carries no grade.

-- Why a parked job waits without retrying (the instructor reads it on the achievement's
-- page): 'recipient_unreachable', 'criteria_invalid', 'credential_invalid'; NULL when it
-- simply ran out of attempts.
ALTER TABLE issuance_jobs ADD COLUMN parked_reason text;

-- The NRPS `rel="differences"` link of the course's last roster read: the next sync asks
-- only for what changed since (https://www.imsglobal.org/spec/lti-nrps/v2p0#membership-differences).
ALTER TABLE contexts ADD COLUMN nrps_differences_url text;

-- One badge column per course. The pipeline used to create a second column (resourceId
-- `sello:achievement:<id>`) beside the one Deep Linking created (resourceId `<id>`) and
-- record it on the link. A link no launch ever confirmed (no resource link id) forgets
-- that URL, so the next post finds the badge's column by its key; the course sync then
-- merges the extra column into it (src/issuance/badge-columns.ts).
UPDATE achievement_links SET line_item_url = NULL WHERE resource_link_id IS NULL AND line_item_url IS NOT NULL;

-- Badges already posted carried a grade (100/100) that changed learners' course totals.
-- They go back one step and are posted again, without a grade, on the badge's column.
WITH moved AS (
  UPDATE awards SET state = 'signed', line_item_url = NULL, updated_at = now()
   WHERE state = 'posted'
  RETURNING id),
logged AS (
  INSERT INTO award_transitions (award_id, from_state, to_state, actor, details)
  SELECT id, 'posted', 'signed', 'system:migration', '{"reason": "badge_without_grade"}'::jsonb FROM moved)
INSERT INTO issuance_jobs (kind, key, payload)
SELECT 'advance_award', id::text, jsonb_build_object('awardId', id::text) FROM moved
ON CONFLICT (kind, key) WHERE state = 'queued' DO NOTHING;
