/**
 * ltijs's database, on Sello's database: the plugin object ltijs accepts in
 * `setup(key, { plugin })` instead of MongoDB.
 *
 * Contract (ltijs 5.9 `Utils/Database.js`): `setup()`, `Close()`, `Get(key, collection,
 * query)` → `false` or an array, `Insert(key, collection, item, index)`, `Replace(key,
 * collection, query, item, index)`, `Modify(key, collection, query, modification)`,
 * `Delete(collection, query)`. When `key` is given the document is stored encrypted with
 * only `index` in clear, and comes back decrypted with `createdAt` in epoch
 * milliseconds (ltijs compares it with `expires_in` to reuse access tokens).
 *
 * TTLs follow ltijs's Mongo schema, except nonces, kept an hour instead of 10 s so a
 * replay stays detectable well past any clock skew.
 */
import crypto from 'node:crypto';
import type { Database, Queryable } from './database.ts';

/** Seconds each collection's documents live; absent = kept until deleted. */
const ttlSeconds: Record<string, number> = {
  idtoken: 24 * 3600,
  contexttoken: 24 * 3600,
  accesstoken: 3600,
  nonce: 3600,
  state: 600,
};

type Doc = Record<string, unknown>;

export interface LtiStore {
  setup(): Promise<true>;
  Close(): Promise<true>;
  Get(key: string | false, collection: string, query?: Doc): Promise<Doc[] | false>;
  Insert(key: string | false, collection: string, item: Doc, index?: Doc): Promise<true>;
  Replace(key: string | false, collection: string, query: Doc, item: Doc, index?: Doc): Promise<true>;
  Modify(key: string | false, collection: string, query: Doc, modification: Doc): Promise<true>;
  Delete(collection: string, query: Doc): Promise<true>;
  /** Deletes expired documents now; returns how many. */
  purgeExpired(): Promise<number>;
}

export interface CreateLtiStoreParameters {
  db: Database;
  /** How often expired documents are deleted; 0 disables the schedule (tests call `purgeExpired`). */
  purgeIntervalMs?: number;
}

// JSON drops undefined fields, which matches Mongo: `{a: undefined}` matches everything.
const asJson = (value: unknown) => JSON.stringify(value ?? {});

function encryptionKey(secret: string): Buffer {
  return crypto.createHash('sha256').update(secret).digest();
}

/** AES-256-GCM: the tag makes tampering with a stored key detectable, unlike ltijs's CBC. */
function encrypt(plain: Doc, secret: string): { iv: string; data: string; tag: string } {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', encryptionKey(secret), iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(plain), 'utf8'), cipher.final()]);
  return { iv: iv.toString('hex'), data: data.toString('hex'), tag: cipher.getAuthTag().toString('hex') };
}

function decrypt(stored: Doc, secret: string): Doc {
  const decipher = crypto.createDecipheriv('aes-256-gcm', encryptionKey(secret), Buffer.from(String(stored.iv), 'hex'));
  decipher.setAuthTag(Buffer.from(String(stored.tag), 'hex'));
  const plain = Buffer.concat([decipher.update(Buffer.from(String(stored.data), 'hex')), decipher.final()]);
  return JSON.parse(plain.toString('utf8')) as Doc;
}

function expiresAt(collection: string): Date | null {
  const ttl = ttlSeconds[collection];
  return ttl ? new Date(Date.now() + ttl * 1000) : null;
}

async function insertDoc(q: Queryable, collection: string, doc: Doc): Promise<void> {
  await q.query('INSERT INTO lti_store (collection, doc, expires_at) VALUES ($1, $2::jsonb, $3)', [
    collection,
    JSON.stringify(doc),
    expiresAt(collection),
  ]);
}

/**
 * Builds the ltijs database plugin over `db`.
 *
 * Errors are the database's own (ltijs turns them into 401/500 answers itself); a
 * duplicate nonce raises PostgreSQL's unique violation, which ltijs reports as an invalid token.
 */
export function createLtiStore({ db, purgeIntervalMs = 5 * 60_000 }: CreateLtiStoreParameters): LtiStore {
  let timer: NodeJS.Timeout | null = null;
  const live = `(expires_at IS NULL OR expires_at > now())`;

  const store: LtiStore = {
    async setup() {
      if (purgeIntervalMs > 0 && !timer) {
        timer = setInterval(() => void store.purgeExpired().catch(() => {}), purgeIntervalMs);
        timer.unref();
      }
      return true;
    },
    async Close() {
      // The database belongs to Sello, not to ltijs: only the purge schedule stops here.
      if (timer) clearInterval(timer);
      timer = null;
      return true;
    },
    async Get(key, collection, query) {
      const { rows } = await db.query<{ doc: Doc; created_at: Date }>(
        `SELECT doc, created_at FROM lti_store WHERE collection = $1 AND doc @> $2::jsonb AND ${live} ORDER BY id`,
        [collection, asJson(query)],
      );
      if (rows.length === 0) return false;
      return rows.map((row) => {
        const doc = key ? decrypt(row.doc, key) : { ...row.doc };
        doc.createdAt = new Date(row.created_at).getTime();
        return doc;
      });
    },
    async Insert(key, collection, item, index) {
      if (key && !index) throw new TypeError('an encrypted document needs its index fields');
      await insertDoc(db, collection, key ? { ...index, ...encrypt(item, key) } : item);
      return true;
    },
    async Replace(key, collection, query, item, index) {
      if (key && !index) throw new TypeError('an encrypted document needs its index fields');
      // One statement instead of a transaction of two (ltijs replaces the id token and the
      // context token at every launch: four round trips each). The insert reads the count
      // of deleted rows, so every delete happens before it (a unique index such as the
      // platform's sees the old document gone), and both happen or neither.
      await db.query(
        `WITH replaced AS (DELETE FROM lti_store WHERE collection = $1 AND doc @> $2::jsonb RETURNING 1)
         INSERT INTO lti_store (collection, doc, expires_at) SELECT $1, $3::jsonb, $4::timestamptz FROM (SELECT count(*) FROM replaced) AS deleted`,
        [collection, asJson(query), JSON.stringify(key ? { ...index, ...encrypt(item, key) } : item), expiresAt(collection)],
      );
      return true;
    },
    async Modify(key, collection, query, modification) {
      await db.transaction(async (tx) => {
        // Mongo's updateOne: the first matching document only.
        const { rows } = await tx.query<{ id: number; doc: Doc }>(
          `SELECT id, doc FROM lti_store WHERE collection = $1 AND doc @> $2::jsonb AND ${live} ORDER BY id LIMIT 1 FOR UPDATE`,
          [collection, asJson(query)],
        );
        const row = rows[0];
        if (!row) return;
        let next: Doc;
        if (key) {
          const plain = { ...decrypt(row.doc, key), ...JSON.parse(asJson(modification)) };
          const { iv, data, tag } = encrypt(plain, key);
          next = { ...row.doc, iv, data, tag };
        } else {
          next = { ...row.doc, ...JSON.parse(asJson(modification)) };
        }
        await tx.query('UPDATE lti_store SET doc = $2::jsonb WHERE id = $1', [row.id, JSON.stringify(next)]);
      });
      return true;
    },
    async Delete(collection, query) {
      await db.query('DELETE FROM lti_store WHERE collection = $1 AND doc @> $2::jsonb', [collection, asJson(query)]);
      return true;
    },
    async purgeExpired() {
      const { rowCount } = await db.query('DELETE FROM lti_store WHERE expires_at IS NOT NULL AND expires_at <= now()');
      const launches = await db.query('DELETE FROM lti_launches WHERE expires_at <= now()');
      const logins = await db.query('DELETE FROM lti_logins WHERE expires_at <= now()');
      return rowCount + launches.rowCount + logins.rowCount;
    },
  };
  return store;
}
