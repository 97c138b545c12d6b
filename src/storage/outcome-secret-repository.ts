/**
 * The outcome sources' per-platform secrets: the Moodle web services token or Canvas API
 * token of a platform's REST connector, and the HMAC secret of its outcomes webhook.
 * They are stored encrypted under SELLO_KEK (see at-rest-encryption.ts and migration
 * 0402), so this repository needs the KEK, and it is the only code that reads those
 * columns.
 *
 * Rows written before migration 0402 hold plaintext in the legacy column (`token`,
 * `secret`); the encrypted column is then NULL. They keep working: reads return them and
 * encrypt them in place, and `sealLegacyOutcomeSecrets` encrypts them all at start-up.
 */
import type { Queryable } from './database.ts';
import { decryptAtRest, encryptAtRest } from './at-rest-encryption.ts';

export interface OutcomeConnector {
  platformId: string;
  kind: 'moodle' | 'canvas';
  baseUrl: string;
  token: string;
}

/** What a platform has configured, without any token or secret (nothing is decrypted). */
export interface OutcomeSourcesOverview {
  connector: { kind: OutcomeConnector['kind']; baseUrl: string; tokenSet: boolean; updatedAt: Date } | null;
  webhook: { secretSet: false } | { secretSet: true; createdAt: Date };
}

export interface OutcomeSecretRepository {
  /**
   * Which outcome sources the platform has configured. Reads only whether the token and
   * secret columns are set, so it needs no KEK and cannot fail on a damaged row.
   */
  describeOutcomeSources(platformId: string): Promise<OutcomeSourcesOverview>;
  /**
   * The platform's webhook HMAC secret, decrypted; null when none was made.
   *
   * @throws StorageError `secret_decryption_failed` (wrong SELLO_KEK or damaged row).
   */
  findWebhookSecret(platformId: string): Promise<string | null>;
  /** Stores (or replaces) the platform's webhook secret, encrypted. */
  setWebhookSecret(platformId: string, secret: string): Promise<void>;
  /**
   * The platform's REST connector with its token decrypted; null when none is set.
   *
   * @throws StorageError `secret_decryption_failed` (wrong SELLO_KEK, damaged row, or a
   *   kind or base URL changed in the database behind Sello's back).
   */
  findConnector(platformId: string): Promise<OutcomeConnector | null>;
  /** Stores (or replaces) the platform's REST connector, its token encrypted. */
  setConnector(connector: OutcomeConnector): Promise<void>;
}

export interface OutcomeSecretRepositoryParameters {
  db: Queryable;
  /** The 32-byte key-encryption key (`secrets.keyEncryptionKey`). */
  kek: Buffer;
}

export interface SealLegacyOutcomeSecretsReport {
  connectorTokens: number;
  webhookSecrets: number;
}

// The kind and base URL are bound to the token: someone who can write to the database
// but does not hold the KEK cannot redirect a platform's token to a server of theirs.
const connectorAad = (c: Pick<OutcomeConnector, 'platformId' | 'kind' | 'baseUrl'>) =>
  `outcome_connectors.token|${c.platformId}|${c.kind}|${c.baseUrl}`;
const webhookSecretAad = (platformId: string) => `outcome_webhook_secrets.secret|${platformId}`;

interface ConnectorRow {
  platformId: string;
  kind: OutcomeConnector['kind'];
  baseUrl: string;
  legacyToken: string | null;
  encryptedToken: string | null;
}

interface WebhookSecretRow {
  platformId: string;
  legacySecret: string | null;
  encryptedSecret: string | null;
}

const connectorColumns = `platform_id AS "platformId", kind, base_url AS "baseUrl", token AS "legacyToken", encrypted_token AS "encryptedToken"`;
const webhookSecretColumns = `platform_id AS "platformId", secret AS "legacySecret", encrypted_secret AS "encryptedSecret"`;

// Each update matches only while the row still holds the plaintext it read, so several
// processes sealing at once, or a sealing racing a new value, never lose a write.
async function sealConnectorToken(db: Queryable, kek: Buffer, row: ConnectorRow & { legacyToken: string }): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE outcome_connectors SET encrypted_token = $2, token = NULL
      WHERE platform_id = $1 AND token = $3 AND kind = $4 AND base_url = $5`,
    [row.platformId, encryptAtRest({ kek, plaintext: row.legacyToken, aad: connectorAad(row) }), row.legacyToken, row.kind, row.baseUrl],
  );
  return rowCount > 0;
}

async function sealWebhookSecret(db: Queryable, kek: Buffer, row: WebhookSecretRow & { legacySecret: string }): Promise<boolean> {
  const { rowCount } = await db.query(`UPDATE outcome_webhook_secrets SET encrypted_secret = $2, secret = NULL WHERE platform_id = $1 AND secret = $3`, [
    row.platformId,
    encryptAtRest({ kek, plaintext: row.legacySecret, aad: webhookSecretAad(row.platformId) }),
    row.legacySecret,
  ]);
  return rowCount > 0;
}

export function createOutcomeSecretRepository({ db, kek }: OutcomeSecretRepositoryParameters): OutcomeSecretRepository {
  return {
    async describeOutcomeSources(platformId) {
      const connectors = await db.query<{ kind: OutcomeConnector['kind']; baseUrl: string; tokenSet: boolean; updatedAt: Date }>(
        `SELECT kind, base_url AS "baseUrl", (token IS NOT NULL OR encrypted_token IS NOT NULL) AS "tokenSet", updated_at AS "updatedAt"
           FROM outcome_connectors WHERE platform_id = $1`,
        [platformId],
      );
      const secrets = await db.query<{ createdAt: Date }>(
        `SELECT created_at AS "createdAt" FROM outcome_webhook_secrets
          WHERE platform_id = $1 AND (secret IS NOT NULL OR encrypted_secret IS NOT NULL)`,
        [platformId],
      );
      const secret = secrets.rows[0];
      return {
        connector: connectors.rows[0] ?? null,
        webhook: secret ? { secretSet: true, createdAt: secret.createdAt } : { secretSet: false },
      };
    },
    async findWebhookSecret(platformId) {
      const { rows } = await db.query<WebhookSecretRow>(`SELECT ${webhookSecretColumns} FROM outcome_webhook_secrets WHERE platform_id = $1`, [platformId]);
      const row = rows[0];
      if (!row) return null;
      if (row.legacySecret !== null) {
        await sealWebhookSecret(db, kek, { ...row, legacySecret: row.legacySecret });
        return row.legacySecret;
      }
      return decryptAtRest({ kek, encrypted: row.encryptedSecret!, aad: webhookSecretAad(platformId), what: 'the webhook secret' });
    },
    async setWebhookSecret(platformId, secret) {
      await db.query(
        `INSERT INTO outcome_webhook_secrets (platform_id, encrypted_secret) VALUES ($1, $2)
         ON CONFLICT (platform_id) DO UPDATE SET encrypted_secret = EXCLUDED.encrypted_secret, secret = NULL, created_at = now()`,
        [platformId, encryptAtRest({ kek, plaintext: secret, aad: webhookSecretAad(platformId) })],
      );
    },
    async findConnector(platformId) {
      const { rows } = await db.query<ConnectorRow>(`SELECT ${connectorColumns} FROM outcome_connectors WHERE platform_id = $1`, [platformId]);
      const row = rows[0];
      if (!row) return null;
      const { kind, baseUrl } = row;
      if (row.legacyToken !== null) {
        await sealConnectorToken(db, kek, { ...row, legacyToken: row.legacyToken });
        return { platformId, kind, baseUrl, token: row.legacyToken };
      }
      const token = decryptAtRest({ kek, encrypted: row.encryptedToken!, aad: connectorAad(row), what: `the ${kind} connector token` });
      return { platformId, kind, baseUrl, token };
    },
    async setConnector(connector) {
      await db.query(
        `INSERT INTO outcome_connectors (platform_id, kind, base_url, encrypted_token) VALUES ($1, $2, $3, $4)
         ON CONFLICT (platform_id) DO UPDATE SET kind = EXCLUDED.kind, base_url = EXCLUDED.base_url,
           encrypted_token = EXCLUDED.encrypted_token, token = NULL, updated_at = now()`,
        [connector.platformId, connector.kind, connector.baseUrl, encryptAtRest({ kek, plaintext: connector.token, aad: connectorAad(connector) })],
      );
    },
  };
}

/**
 * Encrypts in place every connector token and webhook secret still stored in plaintext
 * (rows from before migration 0402). Idempotent, and safe while other processes do the
 * same; run after `migrate` at start-up, with the KEK the server runs with. (Not by
 * `sello migrate`: where no KEK exists yet it would make one, and rows encrypted under a
 * key the server does not hold would stop working.)
 *
 * @returns how many values it encrypted (0 once everything is encrypted).
 */
export async function sealLegacyOutcomeSecrets({ db, kek }: OutcomeSecretRepositoryParameters): Promise<SealLegacyOutcomeSecretsReport> {
  const report: SealLegacyOutcomeSecretsReport = { connectorTokens: 0, webhookSecrets: 0 };
  const connectors = await db.query<ConnectorRow & { legacyToken: string }>(`SELECT ${connectorColumns} FROM outcome_connectors WHERE token IS NOT NULL`);
  for (const row of connectors.rows) if (await sealConnectorToken(db, kek, row)) report.connectorTokens += 1;
  const secrets = await db.query<WebhookSecretRow & { legacySecret: string }>(`SELECT ${webhookSecretColumns} FROM outcome_webhook_secrets WHERE secret IS NOT NULL`);
  for (const row of secrets.rows) if (await sealWebhookSecret(db, kek, row)) report.webhookSecrets += 1;
  return report;
}
