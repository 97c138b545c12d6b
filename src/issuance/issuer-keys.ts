/**
 * Issuer keys and identifiers: Ed25519 Multikey pairs per issuer, private halves
 * encrypted at rest with AES-256-GCM under the deployment's key-encryption key,
 * rotation that keeps old keys published, and the DIDs and DID documents built from
 * them (did:web, https://w3c-ccg.github.io/did-method-web/; did:key).
 *
 * Private keys are decrypted only to sign, in memory; nothing here logs or returns
 * them (`IssuerKeyInfo` has no secret).
 */
import type { Database, Queryable } from '../storage/database.ts';
import { createIssuerKeyRepository, type IssuerKeyRecord } from '../storage/issuer-key-repository.ts';
import { createIssuerRepository, DEFAULT_ISSUER_SLUG, type Issuer } from '../storage/issuer-repository.ts';
import { createAuditRepository } from '../storage/audit-repository.ts';
import { decryptAtRest, encryptAtRest } from '../storage/at-rest-encryption.ts';
import { CredentialError } from '../credentials/errors.ts';
import { generateEd25519Key } from '../credentials/multikey.ts';
import {
  buildDidDocument,
  didKeyFromPublicKey,
  didOf,
  didWebFromUrl,
  resolveDidKey,
  withRevokedKeys,
  type DidDocument,
} from '../credentials/did.ts';
import type { SigningKey } from '../credentials/sign-credential.ts';
import type { DidResolver } from '../credentials/document-loader.ts';

/** A key as anyone may see it. */
export interface IssuerKeyInfo {
  issuerId: string;
  issuerDid: string;
  /** Verification method id (DID URL). */
  keyId: string;
  publicKeyMultibase: string;
  validFrom: Date;
  validUntil: Date | null;
  revoked: boolean;
  revokedAt: Date | null;
}

/** A key as the admin API and `sello keys` show it: public material and validity only. */
export function issuerKeyJson(key: IssuerKeyInfo) {
  return {
    issuerDid: key.issuerDid,
    keyId: key.keyId,
    publicKeyMultibase: key.publicKeyMultibase,
    validFrom: key.validFrom.toISOString(),
    validUntil: key.validUntil?.toISOString() ?? null,
    revoked: key.revoked,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}

export interface IssuerKeyProvider {
  /** The issuer's DID (did:web of the deployment, or did:key of its current key). */
  issuerDid(issuer: Issuer): Promise<string>;
  /**
   * The key to sign with now; created when the issuer has none. Pass `db` when calling
   * inside a transaction (PGlite has one connection: a query outside the open
   * transaction would wait for it forever), and `issuer` when its row is already read.
   */
  currentSigningKey(issuerId: string, options?: { db?: Queryable; issuer?: Issuer }): Promise<SigningKey>;
  /**
   * The key that signs, now, documents that must be issued by `issuerDid` (the status
   * lists of credentials that carry it): the current key when it is the issuer's did:web;
   * the key that IS the DID when it is a did:key, closed or not (a did:key issuer's
   * older keys are kept for this).
   *
   * @throws CredentialError `issuer_key_not_found` (not a DID of this issuer),
   *   `issuer_key_revoked` (Sello signs nothing more with a revoked key), `signing_failed`.
   */
  signingKeyFor(issuerId: string, issuerDid: string, options?: { db?: Queryable }): Promise<SigningKey>;
  /** Makes sure the issuer has a current key; returns it. */
  ensureKey(issuerId: string): Promise<IssuerKeyInfo>;
  /** Closes the current key and makes a new one current; old keys stay published. */
  rotate(issuerId: string, params?: { actor?: string; reason?: string }): Promise<IssuerKeyInfo>;
  /**
   * Revokes a key that is no longer current (rotate first to retire the current one), and
   * audit-logs it (`key.revoked`). The key stays published, marked revoked, and every
   * credential it signed then fails the `issuer_key` check whatever its `validFrom` (see
   * `checkIssuerKey` in src/credentials/verify.ts for why). Revoking a revoked key changes
   * nothing (`changed: false`).
   *
   * @param params.keyId the verification method id as `keys list` shows it, its fragment,
   *   or the public key multibase
   * @throws CredentialError `missing_reason`, `issuer_key_not_found`,
   *   `current_key_revoke_conflict` (the key is the current signing key).
   */
  revoke(issuerId: string, params: { keyId: string; reason: string; actor?: string }): Promise<{ key: IssuerKeyInfo; changed: boolean }>;
  /** Every key of the issuer with its validity, oldest first. */
  list(issuerId: string): Promise<IssuerKeyInfo[]>;
  /** The DID document of a did:web issuer. */
  didDocument(issuerId: string): Promise<DidDocument>;
  /**
   * Resolves did:key by computation and this deployment's did:web from the database. A
   * did:key of a key this deployment revoked is shown revoked: the did:key method has no
   * way to say so, but Sello's own verification knows it.
   */
  resolveDid: DidResolver;
}

function issuerDidWeb(publicUrl: string, issuer: Pick<Issuer, 'slug'>): string {
  return issuer.slug === DEFAULT_ISSUER_SLUG ? didWebFromUrl(publicUrl) : didWebFromUrl(publicUrl, ['issuers', issuer.slug]);
}

/** The DID that a key of `issuer` signs for: the issuer's did:web, or the key's own did:key. */
function keyDid(publicUrl: string, issuer: Pick<Issuer, 'slug' | 'didMethod'>, record: Pick<IssuerKeyRecord, 'publicKeyMultibase'>): string {
  return issuer.didMethod === 'key' ? didKeyFromPublicKey(record.publicKeyMultibase).did : issuerDidWeb(publicUrl, issuer);
}

// The issuer id and public key are the associated data: a key row copied to another
// issuer does not decrypt.
const keyAad = (issuerId: string, publicKeyMultibase: string) => `${issuerId}|${publicKeyMultibase}`;

/**
 * @throws CredentialError `signing_failed` when the KEK is wrong or the row was tampered with.
 */
function decryptSecretKey(params: { kek: Buffer; encrypted: string; aad: string }): string {
  try {
    return decryptAtRest({ ...params, what: 'the issuer key' });
  } catch (cause) {
    // Never include the ciphertext or key material in the message.
    throw new CredentialError('signing_failed', 'Cannot decrypt the issuer key: wrong SELLO_KEK or damaged key row', undefined, { cause });
  }
}

function keyIdFor(record: Pick<IssuerKeyRecord, 'keyId' | 'publicKeyMultibase'>, did: string): string {
  return did.startsWith('did:key:') ? didKeyFromPublicKey(record.publicKeyMultibase).verificationMethod : `${did}#${record.keyId}`;
}

/**
 * The key provider over the `issuer_keys` table.
 *
 * @param params.db the database (or a transaction, for one unit of work)
 * @param params.kek the 32-byte key-encryption key (`secrets.keyEncryptionKey`)
 * @param params.publicUrl the deployment's base URL (its did:web)
 */
export function createIssuerKeyProvider(params: {
  db: Queryable | Database;
  kek: Buffer;
  publicUrl: string;
  now?: () => Date;
  /** The registries (CAIP-10) a did:web document names; read at each document build (the chain opens after the keys). */
  registries?: () => string[];
}): IssuerKeyProvider {
  const { db, kek, publicUrl } = params;
  const now = params.now ?? (() => new Date());
  // Decrypted keys by verification method, so the library's signer object is built once per key.
  const signingKeys = new Map<string, SigningKey>();

  const issuerOf = async (issuerId: string, via: Queryable = db) => {
    const issuer = await createIssuerRepository(via).findById(issuerId);
    if (!issuer) throw new CredentialError('issuer_key_not_found', `No issuer ${issuerId}`, { issuerId });
    return issuer;
  };

  const toInfo = (issuer: Issuer, record: IssuerKeyRecord): IssuerKeyInfo => {
    const did = keyDid(publicUrl, issuer, record);
    return {
      issuerId: issuer.id,
      issuerDid: did,
      keyId: keyIdFor(record, did),
      publicKeyMultibase: record.publicKeyMultibase,
      validFrom: record.validFrom,
      validUntil: record.validUntil,
      revoked: record.revokedAt !== null,
      revokedAt: record.revokedAt,
    };
  };

  const signingKeyOf = (issuerId: string, did: string, record: IssuerKeyRecord): SigningKey => {
    const verificationMethod = keyIdFor(record, did);
    let key = signingKeys.get(verificationMethod);
    if (!key) {
      key = {
        verificationMethod,
        controller: did,
        publicKeyMultibase: record.publicKeyMultibase,
        secretKeyMultibase: decryptSecretKey({ kek, encrypted: record.encryptedSecretKey, aad: keyAad(issuerId, record.publicKeyMultibase) }),
      };
      signingKeys.set(verificationMethod, key);
    }
    return key;
  };

  const createKey = async (tx: Queryable, issuerId: string, at: Date) => {
    const material = await generateEd25519Key();
    const keyId = `key-${at.toISOString().slice(0, 10).replaceAll('-', '')}-${material.publicKeyMultibase.slice(-8)}`;
    return createIssuerKeyRepository(tx).insert({
      issuerId,
      keyId,
      publicKeyMultibase: material.publicKeyMultibase,
      encryptedSecretKey: encryptAtRest({ kek, plaintext: material.secretKeyMultibase, aad: keyAad(issuerId, material.publicKeyMultibase) }),
      // Whole seconds: credentials state validFrom to the second, and a key must count
      // as valid for a credential signed in the same second it was created.
      validFrom: new Date(Math.floor(at.getTime() / 1000) * 1000),
    });
  };

  // Key changes take the issuer row lock; in a Database that means a transaction of our
  // own, inside a caller's transaction (`via`) it is that transaction.
  const inTransaction = <T>(work: (tx: Queryable) => Promise<T>, via?: Queryable): Promise<T> =>
    via ? work(via) : 'transaction' in db && typeof db.transaction === 'function' ? db.transaction(work) : work(db);

  const ensureRecord = async (issuerId: string, via?: Queryable): Promise<IssuerKeyRecord> => {
    const current = await createIssuerKeyRepository(via ?? db).findCurrent(issuerId);
    if (current) return current;
    return inTransaction(async (tx) => {
      const txKeys = createIssuerKeyRepository(tx);
      await txKeys.lockIssuer(issuerId);
      return (await txKeys.findCurrent(issuerId)) ?? createKey(tx, issuerId, now());
    }, via);
  };

  // The key that signs for `did` (see `signingKeyFor`).
  const recordFor = async (issuer: Issuer, did: string, via?: Queryable): Promise<IssuerKeyRecord> => {
    let record: IssuerKeyRecord | null = null;
    if (did === issuerDidWeb(publicUrl, issuer)) {
      record = await ensureRecord(issuer.id, via);
    } else if (did.startsWith('did:key:')) {
      const found = await createIssuerKeyRepository(via ?? db).findByPublicKey(did.slice('did:key:'.length));
      record = found?.issuerId === issuer.id ? found : null;
    }
    if (!record) throw new CredentialError('issuer_key_not_found', `${did} is not a DID of issuer ${issuer.slug}`, { did, issuer: issuer.slug });
    if (record.revokedAt) {
      throw new CredentialError('issuer_key_revoked', `The key of ${did} is revoked: Sello signs nothing more with it`, { did, revokedAt: record.revokedAt.toISOString() });
    }
    return record;
  };

  const provider: IssuerKeyProvider = {
    async issuerDid(issuer) {
      return issuer.didMethod === 'key' ? keyDid(publicUrl, issuer, await ensureRecord(issuer.id)) : issuerDidWeb(publicUrl, issuer);
    },
    async currentSigningKey(issuerId, options = {}) {
      const issuer = options.issuer?.id === issuerId ? options.issuer : await issuerOf(issuerId, options.db);
      const record = await ensureRecord(issuerId, options.db);
      return signingKeyOf(issuerId, keyDid(publicUrl, issuer, record), record);
    },
    async signingKeyFor(issuerId, issuerDid, options = {}) {
      const issuer = await issuerOf(issuerId, options.db);
      return signingKeyOf(issuerId, issuerDid, await recordFor(issuer, issuerDid, options.db));
    },
    async ensureKey(issuerId) {
      const issuer = await issuerOf(issuerId);
      return toInfo(issuer, await ensureRecord(issuerId));
    },
    async rotate(issuerId, options = {}) {
      const issuer = await issuerOf(issuerId);
      const record = await inTransaction(async (tx) => {
        const txKeys = createIssuerKeyRepository(tx);
        await txKeys.lockIssuer(issuerId);
        const at = now();
        const closed = await txKeys.closeCurrent(issuerId, at);
        const created = await createKey(tx, issuerId, at);
        await createAuditRepository(tx).record({
          actor: options.actor ?? 'system',
          action: 'key.rotated',
          subject: issuerId,
          reason: options.reason ?? null,
          details: { newKey: created.publicKeyMultibase, closedKey: closed?.publicKeyMultibase ?? null },
        });
        return created;
      });
      return toInfo(issuer, record);
    },
    async revoke(issuerId, { keyId, reason, actor = 'system' }) {
      if (!reason.trim()) throw new CredentialError('missing_reason', 'A reason is required to revoke a key', { keyId });
      const issuer = await issuerOf(issuerId);
      const { record, changed } = await inTransaction(async (tx) => {
        const txKeys = createIssuerKeyRepository(tx);
        await txKeys.lockIssuer(issuerId);
        const found = (await txKeys.list(issuerId)).find((key) => [toInfo(issuer, key).keyId, key.keyId, key.publicKeyMultibase].includes(keyId));
        if (!found) throw new CredentialError('issuer_key_not_found', `Issuer ${issuer.slug} has no key ${keyId}`, { keyId, issuer: issuer.slug });
        if (found.revokedAt) return { record: found, changed: false };
        if (found.validUntil === null) {
          throw new CredentialError('current_key_revoke_conflict', `${keyId} is the current signing key: rotate first (sello keys rotate), then revoke it`, {
            keyId,
          });
        }
        const revoked = (await txKeys.revoke(found.id, reason.trim(), now()))!;
        await createAuditRepository(tx).record({
          actor,
          action: 'key.revoked',
          subject: issuerId,
          reason: reason.trim(),
          details: { keyId: toInfo(issuer, revoked).keyId, publicKeyMultibase: revoked.publicKeyMultibase },
        });
        return { record: revoked, changed: true };
      });
      return { key: toInfo(issuer, record), changed };
    },
    async list(issuerId) {
      const issuer = await issuerOf(issuerId);
      return (await createIssuerKeyRepository(db).list(issuerId)).map((record) => toInfo(issuer, record));
    },
    async didDocument(issuerId) {
      const issuer = await issuerOf(issuerId);
      if (issuer.didMethod === 'key') return resolveDidKey(keyDid(publicUrl, issuer, await ensureRecord(issuerId)));
      const did = issuerDidWeb(publicUrl, issuer);
      const published = (await createIssuerKeyRepository(db).list(issuerId)).map((record) => ({
        id: keyIdFor(record, did),
        publicKeyMultibase: record.publicKeyMultibase,
        validFrom: record.validFrom,
        validUntil: record.validUntil,
        revokedAt: record.revokedAt,
      }));
      return buildDidDocument({ did, keys: published, registries: params.registries?.() ?? [] });
    },
    async resolveDid(didUrl) {
      const did = didOf(didUrl);
      if (did.startsWith('did:key:')) {
        const document = resolveDidKey(did);
        const [method] = document.verificationMethod;
        const record = await createIssuerKeyRepository(db).findByPublicKey(method!.publicKeyMultibase);
        return record?.revokedAt ? withRevokedKeys(document, new Map([[method!.id, record.revokedAt]])) : document;
      }
      const root = didWebFromUrl(publicUrl);
      let slug: string | null = null;
      if (did === root) slug = DEFAULT_ISSUER_SLUG;
      else if (did.startsWith(`${root}:issuers:`)) slug = decodeURIComponent(did.slice(`${root}:issuers:`.length));
      if (!slug) return null;
      const issuer = await createIssuerRepository(db).findBySlug(slug);
      if (!issuer || issuer.didMethod !== 'web') return null;
      return provider.didDocument(issuer.id);
    },
  };
  return provider;
}

/**
 * Every key of every issuer, for the chain capability to register on-chain:
 * `{issuerDid, keyId, publicKeyMultibase, validFrom, validUntil, revoked}`.
 */
export async function listAllIssuerKeys(params: { db: Queryable; publicUrl: string }): Promise<
  Array<{ issuerDid: string; keyId: string; publicKeyMultibase: string; validFrom: Date; validUntil: Date | null; revoked: boolean }>
> {
  const issuers = new Map((await createIssuerRepository(params.db).list()).map((issuer) => [issuer.id, issuer]));
  return (await createIssuerKeyRepository(params.db).listAll()).flatMap((record) => {
    const issuer = issuers.get(record.issuerId);
    if (!issuer) return [];
    const did = keyDid(params.publicUrl, issuer, record);
    return [
      {
        issuerDid: did,
        keyId: keyIdFor(record, did),
        publicKeyMultibase: record.publicKeyMultibase,
        validFrom: record.validFrom,
        validUntil: record.validUntil,
        revoked: record.revokedAt !== null,
      },
    ];
  });
}
