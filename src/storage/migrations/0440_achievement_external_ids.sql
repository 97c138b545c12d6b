-- The `id` a VC API caller gave an achievement it described (POST /credentials/issue):
-- the next credential naming the same achievement id finds this row again instead of
-- creating another. One per issuer; Sello's own achievements have none.
ALTER TABLE achievements ADD COLUMN external_id text;
CREATE UNIQUE INDEX achievements_external_id ON achievements (issuer_id, external_id) WHERE external_id IS NOT NULL;
