/**
 * Property: `POST /presentations/verify` never answers 5xx (issue 14: "no input that gives a
 * 5xx"), whatever JSON it gets: arbitrary values, presentation-shaped objects, and a
 * presentation genuinely signed by a holder's did:key (holding a credential Sello issued)
 * with any part of it changed, removed or replaced — contexts, proof members, the holder,
 * the credential inside — and any options. Every 4xx carries a `code`; a 200 is only ever
 * `verified: true`. Throughput is not at issue (one database is enough, per the issue).
 */
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWalletDid, signDidAuthentication } from '../support/wallets/vcapi-wallet.ts';
import { ADMIN, makeCredentialsApp } from './credentials-fixture.ts';

type Json = Record<string, unknown>;
type Path = Array<string | number>;

/** Every path to a value inside `document` (objects and arrays walked), the root excluded. */
function pathsOf(document: unknown, prefix: Path = []): Path[] {
  if (!document || typeof document !== 'object') return [];
  const entries: Array<[string | number, unknown]> = Array.isArray(document) ? document.map((v, i) => [i, v]) : Object.entries(document);
  return entries.flatMap(([key, value]) => [[...prefix, key], ...pathsOf(value, [...prefix, key])]);
}

/** A copy of `document` with the value at `path` replaced, or removed when `replacement` is `REMOVE`. */
const REMOVE = Symbol('remove');
function changedAt(document: unknown, path: Path, replacement: unknown): unknown {
  const copy = structuredClone(document);
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (replacement === REMOVE) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else parent[last] = replacement;
  return copy;
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const tricky = fc.constantFrom<unknown>(
  null, '', 0, -1, 1e308, true, [], {}, [{}], [null], 'did:key:z6Mk', 'did:web:evil.example', 'urn:uuid:x', 'https://evil.example/context',
  { '@context': { '@vocab': 'https://evil.example#' } }, ['https://www.w3.org/ns/credentials/v2', { '@protected': true }],
  'https://www.w3.org/2018/credentials/v1', 'VerifiablePresentation', 'z'.repeat(200), 'eddsa-rdfc-2022', 'authentication',
);

describe('POST /presentations/verify never answers 5xx', () => {
  let t: Awaited<ReturnType<typeof makeCredentialsApp>>;
  let signed: Json;
  const challenge = 'property-challenge';
  const domain = 'verifier.example';

  beforeAll(async () => {
    t = await makeCredentialsApp({ env: { VERIFY_RATE_LIMIT: '0' } });
    const issued = await request(t.app)
      .post('/credentials/issue')
      .set('authorization', `Bearer ${ADMIN}`)
      .send({ options: { achievementId: t.achievement.id, recipient: { email: 'ana@example.edu', name: 'Ana' } } });
    expect(issued.status).toBe(201);
    const holder = await createWalletDid();
    signed = await signDidAuthentication({
      holder,
      challenge,
      domain,
      presentation: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], holder: holder.did, verifiableCredential: [issued.body.verifiableCredential] },
    });
    // The unmutated presentation verifies: the mutations start from a valid one.
    const valid = await request(t.app).post('/presentations/verify').send({ verifiablePresentation: signed, options: { challenge, domain } });
    expect(valid.status, JSON.stringify(valid.body)).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
  });

  const expectNo5xx = async (body: unknown) => {
    const res = await request(t.app).post('/presentations/verify').set('content-type', 'application/json').send(JSON.stringify(body));
    const shown = JSON.stringify(body).slice(0, 600);
    expect(res.status, `${shown} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`).toBeLessThan(500);
    if (res.status === 200) expect(res.body.verified).toBe(true);
    else expect(res.body.code, `${shown} → ${JSON.stringify(res.body).slice(0, 300)}`).toEqual(expect.any(String));
  };

  it('for a signed presentation with any one part changed or removed, and any options', async () => {
    const paths = pathsOf(signed);
    const mutation = fc.tuple(
      fc.constantFrom(...paths),
      fc.oneof({ weight: 2, arbitrary: fc.constant<unknown>(REMOVE) }, { weight: 3, arbitrary: tricky }, { weight: 3, arbitrary: jsonValue }),
      fc.option(fc.record({ challenge: fc.oneof(fc.constant(challenge), jsonValue), domain: fc.oneof(fc.constant(domain), jsonValue) }, { requiredKeys: [] }), { nil: undefined }),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async ([path, replacement, options]) => {
        await expectNo5xx({ verifiablePresentation: changedAt(signed, path, replacement), ...(options ? { options } : {}) });
      }),
      { numRuns: 150 },
    );
  }, 240_000);

  it('for a signed presentation with two parts changed at once', async () => {
    const paths = pathsOf(signed);
    const change = fc.tuple(fc.constantFrom(...paths), fc.oneof(fc.constant<unknown>(REMOVE), tricky, jsonValue));
    await fc.assert(
      fc.asyncProperty(change, change, async ([p1, r1], [p2, r2]) => {
        const once = changedAt(signed, p1, r1);
        // The second path may no longer exist after the first change: then only the first counts.
        let twice: unknown = once;
        try {
          twice = changedAt(once, p2, r2);
        } catch {
          twice = once;
        }
        await expectNo5xx({ verifiablePresentation: twice, options: { challenge, domain } });
      }),
      { numRuns: 80 },
    );
  }, 240_000);

  it('for arbitrary JSON bodies and presentation-shaped objects', async () => {
    const shaped = fc.record(
      {
        '@context': fc.oneof(tricky, jsonValue, fc.constant(['https://www.w3.org/ns/credentials/v2'])),
        type: fc.oneof(fc.constant(['VerifiablePresentation']), fc.constant('VerifiablePresentation'), jsonValue),
        holder: fc.oneof(tricky, jsonValue),
        verifiableCredential: fc.oneof(tricky, jsonValue, fc.array(jsonValue, { maxLength: 3 })),
        proof: fc.oneof(tricky, jsonValue, fc.record({ type: fc.constant('DataIntegrityProof'), cryptosuite: fc.constant('eddsa-rdfc-2022'), proofPurpose: fc.constant('authentication'), verificationMethod: jsonValue, challenge: jsonValue, proofValue: jsonValue }, { requiredKeys: [] })),
      },
      { requiredKeys: ['type'] },
    );
    const body = fc.oneof(
      jsonValue,
      fc.record({ verifiablePresentation: jsonValue, options: jsonValue }, { requiredKeys: [] }),
      fc.record({ verifiablePresentation: shaped, options: fc.option(jsonValue, { nil: undefined }) }, { requiredKeys: ['verifiablePresentation'] }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        await expectNo5xx(b);
      }),
      { numRuns: 200 },
    );
  }, 240_000);
});
