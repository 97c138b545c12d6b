/**
 * The ltijs database plugin keeps ltijs's contract (Get → false or an array, Insert,
 * Replace as upsert, Modify of the first match, Delete of all matches; encrypted
 * documents stored as ciphertext and returned decrypted with `createdAt` in epoch ms).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { createLtiStore, type LtiStore } from '../../src/storage/lti-store.ts';

const key = 'a test encryption key';

describe('the ltijs database plugin on Sello storage', () => {
  let db: TestDatabase;
  let store: LtiStore;
  beforeAll(async () => {
    db = await openTestDatabase();
    store = createLtiStore({ db, purgeIntervalMs: 0 });
    await store.setup();
  });
  afterAll(async () => {
    await store?.Close();
    await db?.close();
  });

  it('answers false for nothing found and an array of documents otherwise', async () => {
    expect(await store.Get(false, 'platform', { platformUrl: 'https://none.example' })).toBe(false);
    await store.Insert(false, 'platform', { platformUrl: 'https://a.example', clientId: 'c1', authConfig: { method: 'JWK_SET', key: 'https://a.example/jwks' } });
    const found = await store.Get(false, 'platform', { platformUrl: 'https://a.example' });
    expect(found).toEqual([expect.objectContaining({ clientId: 'c1', authConfig: { method: 'JWK_SET', key: 'https://a.example/jwks' }, createdAt: expect.any(Number) })]);
  });

  it('replaces the matching document or inserts it, and modifies only the fields given', async () => {
    await store.Replace(false, 'platform', { platformUrl: 'https://a.example', clientId: 'c1' }, { platformUrl: 'https://a.example', clientId: 'c1', platformName: 'A' });
    await store.Replace(false, 'platform', { platformUrl: 'https://b.example', clientId: 'c2' }, { platformUrl: 'https://b.example', clientId: 'c2', platformName: 'B' });
    await store.Modify(false, 'platform', { clientId: 'c1' }, { platformName: 'A renamed' });
    const all = (await store.Get(false, 'platform')) as Array<Record<string, unknown>>;
    expect(all.map((doc) => doc.platformName).sort()).toEqual(['A renamed', 'B']);
    expect(all.find((doc) => doc.clientId === 'c1')!.authConfig).toBeUndefined();
  });

  it('replaces a document its unique index holds, and keeps it when the replacement is refused', async () => {
    await store.Insert(false, 'state', { state: 'r-1', query: { n: 1 } });
    await store.Replace(false, 'state', { state: 'r-1' }, { state: 'r-1', query: { n: 2 } });
    expect(((await store.Get(false, 'state', { state: 'r-1' })) as Array<Record<string, unknown>>).map((doc) => doc.query)).toEqual([{ n: 2 }]);
    // The replacement collides with another state: nothing is deleted either.
    await store.Insert(false, 'state', { state: 'r-2', query: {} });
    await expect(store.Replace(false, 'state', { state: 'r-1' }, { state: 'r-2', query: {} })).rejects.toThrow();
    expect(await store.Get(false, 'state', { state: 'r-1' })).not.toBe(false);
  });

  it('stores encrypted documents as ciphertext with their index in clear, and returns them decrypted', async () => {
    await store.Replace(key, 'privatekey', { kid: 'k1' }, { key: '-----BEGIN RSA PRIVATE KEY-----x', kid: 'k1' }, { kid: 'k1', platformUrl: 'https://a.example', clientId: 'c1' });
    const { rows } = await db.query<{ doc: Record<string, unknown> }>(`SELECT doc FROM lti_store WHERE collection = 'privatekey'`);
    expect(Object.keys(rows[0]!.doc).sort()).toEqual(['clientId', 'data', 'iv', 'kid', 'platformUrl', 'tag']);
    expect(JSON.stringify(rows[0]!.doc)).not.toContain('PRIVATE KEY');
    expect(await store.Get(key, 'privatekey', { kid: 'k1' })).toEqual([{ key: '-----BEGIN RSA PRIVATE KEY-----x', kid: 'k1', createdAt: expect.any(Number) }]);
    await store.Modify(key, 'privatekey', { kid: 'k1' }, { key: 'rotated' });
    expect(((await store.Get(key, 'privatekey', { kid: 'k1' })) as Array<Record<string, unknown>>)[0]!.key).toBe('rotated');
  });

  it('refuses to read an encrypted document with another key or after tampering', async () => {
    await expect(store.Get('another key', 'privatekey', { kid: 'k1' })).rejects.toThrow();
    await db.query(`UPDATE lti_store SET doc = jsonb_set(doc, '{data}', to_jsonb('00' || (doc->>'data'))) WHERE collection = 'privatekey'`);
    await expect(store.Get(key, 'privatekey', { kid: 'k1' })).rejects.toThrow();
  });

  it('rejects a second copy of a nonce even when both arrive together', async () => {
    const results = await Promise.allSettled([store.Insert(false, 'nonce', { nonce: 'n-1' }), store.Insert(false, 'nonce', { nonce: 'n-1' })]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('deletes every matching document', async () => {
    await store.Insert(false, 'state', { state: 's-1', query: {} });
    await store.Insert(false, 'state', { state: 's-2', query: {} });
    await store.Delete('state', { state: 's-1' });
    expect(await store.Get(false, 'state', { state: 's-1' })).toBe(false);
    expect(await store.Get(false, 'state', { state: 's-2' })).not.toBe(false);
  });
});
