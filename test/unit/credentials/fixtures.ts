/**
 * Scenario fixtures for the credentials unit tests: a did:key issuer, a credential
 * signed by it, and in-memory status lists signed by the same issuer (a faithful
 * stand-in for an issuer's /status endpoint: real signed list credentials).
 */
import { generateEd25519Key } from '../../../src/credentials/multikey.ts';
import { didKeyFromPublicKey } from '../../../src/credentials/did.ts';
import { createDocumentLoader } from '../../../src/credentials/document-loader.ts';
import { buildAchievementCredential, type BuildCredentialParameters } from '../../../src/credentials/build-credential.ts';
import { signCredential, type SigningKey } from '../../../src/credentials/sign-credential.ts';
import { buildStatusListCredential, encodeStatusList } from '../../../src/credentials/status-list.ts';
import type { VerifyCredentialOptions } from '../../../src/credentials/verify.ts';

export const documentLoader = createDocumentLoader();

export async function makeDidKeyIssuer(): Promise<SigningKey> {
  const material = await generateEd25519Key();
  const { did, verificationMethod } = didKeyFromPublicKey(material.publicKeyMultibase);
  return { verificationMethod, controller: did, ...material };
}

export const STATUS_URL = 'https://issuer.example/status/list-revocation';
export const SUSPENSION_URL = 'https://issuer.example/status/list-suspension';
export const STATUS_INDEX = 4242;

export function unsignedCredential(issuer: SigningKey, overrides: Partial<BuildCredentialParameters> = {}) {
  return buildAchievementCredential({
    issuer: { id: issuer.controller, name: 'Universidad de Ejemplo', url: 'https://uni.example', email: 'badges@uni.example' },
    achievement: {
      id: 'https://uni.example/achievements/python-basics',
      name: 'Python Basics',
      description: 'Completed the Python basics module with a score of at least 80%.',
      criteria: { narrative: 'Score **80%** or more in every quiz of the module.' },
      image: 'https://uni.example/badges/python.png',
      achievementType: 'Badge',
      alignment: [{ targetName: 'Programming', targetUrl: 'https://uni.example/competencies/programming' }],
      tag: ['python', 'programming'],
      inLanguage: 'es',
    },
    recipient: { email: 'Ana.Perez@Example.edu', name: 'Ana Pérez' },
    validFrom: new Date('2026-01-15T10:00:00Z'),
    evidence: [{ name: 'Final quiz', narrative: 'Scored 92/100' }],
    status: { statusListCredential: STATUS_URL, statusListIndex: STATUS_INDEX, statusPurpose: 'revocation' },
    chainReference: { chainId: 31337, contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' },
    salt: 'fixed-salt-for-tests',
    ...overrides,
  });
}

export async function signedCredential(issuer: SigningKey, overrides: Partial<BuildCredentialParameters> = {}) {
  return signCredential({ credential: unsignedCredential(issuer, overrides), key: issuer, documentLoader, now: new Date('2026-01-15T10:00:00Z') });
}

/** Signed status lists of `issuer`, with the given indexes set, served by URL. */
export async function statusLists(issuer: SigningKey, set: { revoked?: number[]; suspended?: number[] } = {}) {
  const lists = new Map<string, object>();
  for (const [url, purpose, indexes] of [
    [STATUS_URL, 'revocation', set.revoked ?? []],
    [SUSPENSION_URL, 'suspension', set.suspended ?? []],
  ] as const) {
    const unsigned = buildStatusListCredential({
      url,
      issuer: issuer.controller,
      purpose,
      encodedList: await encodeStatusList({ setIndexes: indexes }),
      validFrom: new Date('2026-01-01T00:00:00Z'),
    });
    lists.set(url, await signCredential({ credential: unsigned, key: issuer, documentLoader }));
  }
  return async (url: string) => {
    const list = lists.get(url);
    if (!list) throw new Error(`404 for ${url}`);
    return list;
  };
}

export async function verifyOptions(issuer: SigningKey, overrides: Partial<VerifyCredentialOptions> = {}): Promise<VerifyCredentialOptions> {
  return {
    documentLoader,
    now: () => new Date('2026-06-01T00:00:00Z'),
    statusListLoader: await statusLists(issuer),
    ...overrides,
  };
}

export function check(report: { checks: Array<{ id: string }> }, id: string) {
  const found = report.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id}`);
  return found as { id: string; valid: boolean; error?: string; skipped?: boolean; details?: Record<string, unknown> };
}
