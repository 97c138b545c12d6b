-- Validity as instructors say it, "12 months", not 365 days: a credential issued on the
-- 31st of January for 1 month ends on the last day of February. `valid_for_days` stays for
-- achievements described through the VC API.
ALTER TABLE achievements ADD COLUMN valid_for_months integer CHECK (valid_for_months > 0 AND valid_for_months <= 600);
