-- Outcomes webhook, signature scheme v1 (`sha256=` over `timestamp.body`): the signature
-- does not cover the Idempotency-Key, so a captured delivery could be re-sent within its
-- 5-minute window under a new key (issue 10). v1 signatures are remembered until their
-- timestamp leaves the window, with the key they came with; the same signature under
-- another key is refused. v2 (`v2=` over `timestamp.key.body`) needs no memory.
CREATE TABLE outcome_webhook_signatures (
  platform_id uuid NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
  signature_sha256 text NOT NULL,
  idempotency_key text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (platform_id, signature_sha256)
);
CREATE INDEX outcome_webhook_signatures_expiry ON outcome_webhook_signatures (expires_at);
