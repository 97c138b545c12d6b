-- Connector tokens and webhook secrets are kept encrypted under SELLO_KEK (AES-256-GCM,
-- src/storage/at-rest-encryption.ts) in the new `encrypted_*` columns. SQL cannot
-- encrypt, so a row written before this migration keeps its plaintext in the old column
-- until Sello encrypts it in place (sealLegacyOutcomeSecrets at every start, and on first
-- read); the old column is then NULL. Exactly one of the two is set, so which one is set
-- tells plaintext from ciphertext.
ALTER TABLE outcome_connectors ALTER COLUMN token DROP NOT NULL;
ALTER TABLE outcome_connectors ADD COLUMN encrypted_token text;
ALTER TABLE outcome_connectors ADD CONSTRAINT outcome_connectors_one_token CHECK (num_nonnulls(token, encrypted_token) = 1);

ALTER TABLE outcome_webhook_secrets ALTER COLUMN secret DROP NOT NULL;
ALTER TABLE outcome_webhook_secrets ADD COLUMN encrypted_secret text;
ALTER TABLE outcome_webhook_secrets ADD CONSTRAINT outcome_webhook_secrets_one_secret CHECK (num_nonnulls(secret, encrypted_secret) = 1);
