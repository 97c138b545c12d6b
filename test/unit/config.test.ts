import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';

describe('loadConfig', () => {
  it('runs embedded with no settings at all', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.publicUrl).toBe('http://localhost:3000');
    expect(config.database.kind).toBe('embedded');
    expect(config.chain.kind).toBe('embedded');
    // Anonymous Dynamic Registrations wait for an administrator even on the embedded
    // defaults (issue 10, finding 2): a trial uses a one-time invite link instead.
    expect(config.lti.dynamicRegistrationAutoApprove).toBe(false);
    expect(config.chain.anchorBatchSize).toBe(100);
  });

  it('approves Dynamic Registrations at once only when the operator opts in', () => {
    expect(loadConfig({ LTI_DYNREG_AUTO_APPROVE: 'true' }).lti.dynamicRegistrationAutoApprove).toBe(true);
  });

  it('uses the PostgreSQL server named by DATABASE_URL, auto-approval off', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/sello' });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u:p@db:5432/sello', poolMax: 10, preparedStatements: true });
    expect(config.lti.dynamicRegistrationAutoApprove).toBe(false);
  });

  it('reaches private addresses only on the embedded database outside production, unless OUTBOUND_ALLOW_PRIVATE says otherwise', () => {
    const production = { NODE_ENV: 'production', ADMIN_TOKEN: 'a'.repeat(24), SELLO_KEK: 'ab'.repeat(32), PUBLIC_URL: 'https://sello.example.edu' };
    expect(loadConfig({}).outbound.allowPrivate).toBe(true);
    expect(loadConfig({ DATABASE_URL: 'postgres://db/sello' }).outbound.allowPrivate).toBe(false);
    expect(loadConfig(production).outbound.allowPrivate).toBe(false);
    expect(loadConfig({ ...production, OUTBOUND_ALLOW_PRIVATE: 'true' }).outbound.allowPrivate).toBe(true);
    expect(loadConfig({ OUTBOUND_ALLOW_PRIVATE: 'false' }).outbound.allowPrivate).toBe(false);
    expect(() => loadConfig({ OUTBOUND_ALLOW_PRIVATE: 'maybe' })).toThrowError(/OUTBOUND_ALLOW_PRIVATE/);
  });

  it('believes X-Forwarded-For from no one unless TRUST_PROXY names a hop count or the proxies', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback' }).trustProxy).toEqual(['loopback']);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8, 192.0.2.7, fd00::/8' }).trustProxy).toEqual(['loopback', '10.0.0.0/8', '192.0.2.7', 'fd00::/8']);
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrowError(/TRUST_PROXY: `true` would let every client/);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33' })).toThrowError(/TRUST_PROXY: .*bad: 10\.0\.0\.0\/33/);
    expect(() => loadConfig({ TRUST_PROXY: 'proxy.example.org' })).toThrowError(/TRUST_PROXY/);
  });

  it('watches no trust list unless TRUST_LISTS names CAIP-10 addresses, and refuses anything else', () => {
    const list = 'eip155:11155111:0x5FbDB2315678afecb367f032d93F642f64180aa3';
    expect(loadConfig({}).chain.trustLists).toEqual([]);
    expect(loadConfig({ TRUST_LISTS: ` ${list}, eip155:1:0x0000000000000000000000000000000000000001,${list}` }).chain.trustLists).toEqual([
      list,
      'eip155:1:0x0000000000000000000000000000000000000001',
    ]);
    expect(() => loadConfig({ TRUST_LISTS: '0x5FbDB2315678afecb367f032d93F642f64180aa3' })).toThrowError(/TRUST_LISTS.*CAIP-10/);
    expect(() => loadConfig({ TRUST_LISTS: `${list},eip155:1:0x123` })).toThrowError(/TRUST_LISTS/);
  });

  it('runs the verification workers at the event loop\'s priority unless VERIFY_WORKER_NICE lowers theirs (0-19)', () => {
    expect(loadConfig({}).verification.workerNice).toBe(0);
    expect(loadConfig({ VERIFY_WORKER_NICE: '10' }).verification.workerNice).toBe(10);
    expect(() => loadConfig({ VERIFY_WORKER_NICE: '20' })).toThrowError(/VERIFY_WORKER_NICE/);
    expect(() => loadConfig({ VERIFY_WORKER_NICE: '-1' })).toThrowError(/VERIFY_WORKER_NICE/);
  });

  it('stops verification workers after VERIFY_WORKER_IDLE_S unused (default 300 s); 0 keeps them from start-up on', () => {
    expect(loadConfig({}).verification.workerIdleMs).toBe(300_000);
    expect(loadConfig({ VERIFY_WORKER_IDLE_S: '30' }).verification.workerIdleMs).toBe(30_000);
    expect(loadConfig({ VERIFY_WORKER_IDLE_S: '0' }).verification.workerIdleMs).toBeNull();
    expect(() => loadConfig({ VERIFY_WORKER_IDLE_S: '-5' })).toThrowError(/VERIFY_WORKER_IDLE_S/);
  });

  it('prepares PostgreSQL statements unless DATABASE_PREPARED_STATEMENTS=false', () => {
    const postgres = { DATABASE_URL: 'postgres://sello@db.example/sello' };
    expect(loadConfig(postgres).database).toMatchObject({ kind: 'postgres', preparedStatements: true });
    expect(loadConfig({ ...postgres, DATABASE_PREPARED_STATEMENTS: 'false' }).database).toMatchObject({ kind: 'postgres', preparedStatements: false });
  });

  it('names the bad variable and the reason', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrowError(/PORT: Expected number/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrowError(/DATABASE_URL: must start with postgres/);
    try {
      loadConfig({ PUBLIC_URL: 'not a url', ANCHOR_BATCH_SIZE: '0' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).code).toBe('invalid_config');
      expect((error as ConfigError).message).toMatch(/PUBLIC_URL/);
      expect((error as ConfigError).message).toMatch(/ANCHOR_BATCH_SIZE/);
    }
  });

  it('requires secrets and a public URL in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrowError(/ADMIN_TOKEN: required.*SELLO_KEK: required.*PUBLIC_URL/);
  });

  it('requires a signer key for an external chain', () => {
    expect(() => loadConfig({ CHAIN_RPC_URL: 'http://127.0.0.1:8545' })).toThrowError(/CHAIN_SIGNER_KEY/);
  });

  it('treats empty variables as unset and strips the trailing slash of PUBLIC_URL', () => {
    const config = loadConfig({ PORT: '', PUBLIC_URL: 'https://sello.example.edu/' });
    expect(config.port).toBe(3000);
    expect(config.publicUrl).toBe('https://sello.example.edu');
  });

  it('accepts the key-encryption key in hex or base64 and returns frozen settings', () => {
    const hex = loadConfig({ SELLO_KEK: 'ab'.repeat(32) });
    const b64 = loadConfig({ SELLO_KEK: Buffer.alloc(32, 0xab).toString('base64') });
    expect(hex.secrets.keyEncryptionKey).toEqual(b64.secrets.keyEncryptionKey);
    expect(Object.isFrozen(hex)).toBe(true);
    expect(Object.isFrozen(hex.chain)).toBe(true);
  });
});
