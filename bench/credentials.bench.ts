/**
 * Credential figures: signing and full verification throughput for 1,000 OB 3.0
 * credentials, one at a time on one core (no concurrency: JS runs on one thread), with
 * the caches Sello relies on warm (compiled schema, processed top-level contexts,
 * resolved DIDs, the issuer key imported into node:crypto once, verified and decoded
 * status lists). Verification runs every check: schema, signature, issuer key, status
 * (the issuer's signed status list), validity period.
 *
 * Where the time goes (node --cpu-prof, 300 credentials): most of it is jsonld expanding
 * the credential and the proof options for RDF canonicalization. As published, jsonld
 * deep-copies the whole active context (VC v2 + OB 3.0, ~850 values) for each typed
 * node (Profile, AchievementSubject, IdentityObject, Achievement, Image, ...), and the
 * copies are new keys of its processed-context cache, so type-scoped contexts never hit
 * it: ~125 credentials/s. patches/jsonld+9.0.0.patch reuses the processed contexts
 * instead (same output, see test/unit/credentials/jsonld-context-reuse.test.ts):
 * ~600/s on the same machine.
 */
import { generateEd25519Key } from '../src/credentials/multikey.ts';
import { didKeyFromPublicKey } from '../src/credentials/did.ts';
import { createDocumentLoader } from '../src/credentials/document-loader.ts';
import { buildAchievementCredential } from '../src/credentials/build-credential.ts';
import { signCredential, type SigningKey } from '../src/credentials/sign-credential.ts';
import { buildStatusListCredential, encodeStatusList } from '../src/credentials/status-list.ts';
import { verifyCredential } from '../src/credentials/verify.ts';
import { createDccVerifier } from './dcc-baseline.ts';
import { figure, measure, type BenchOptions, type Figures } from './figures.ts';

export const LIST_URL = 'https://bench.example/status/list-revocation';
export const SUSPENSION_URL = 'https://bench.example/status/list-suspension';

/** The benchmark's i-th unsigned credential (also bench/profile-verify.ts). */
export function draftCredential(issuer: SigningKey, i: number) {
  return buildAchievementCredential({
    issuer: { id: issuer.controller, name: 'Universidad de Ejemplo', url: 'https://uni.example' },
    achievement: {
      id: 'https://uni.example/achievements/python-basics',
      name: 'Python Basics',
      description: 'Completed the Python basics module.',
      criteria: { narrative: 'Score 80% or more in every quiz.' },
      image: 'https://uni.example/badges/python.png',
      achievementType: 'Badge',
      tag: ['python'],
      inLanguage: 'es',
    },
    recipient: { email: `learner${i}@example.edu`, name: `Learner ${i}` },
    validFrom: new Date('2026-01-15T10:00:00Z'),
    status: { statusListCredential: LIST_URL, statusListIndex: (i * 7919) % 131072, statusPurpose: 'revocation' },
    chainReference: { chainId: 31337, contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' },
  });
}

/**
 * A did:key issuer, its two signed status lists (revocation and suspension, served from
 * memory) and the verification options that read them at a fixed clock (also
 * bench/profile-verify.ts).
 */
export async function verificationFixture() {
  const material = await generateEd25519Key();
  const { did, verificationMethod } = didKeyFromPublicKey(material.publicKeyMultibase);
  const issuer: SigningKey = { verificationMethod, controller: did, ...material };
  const documentLoader = createDocumentLoader();
  const lists = new Map<string, object>();
  for (const [url, purpose] of [[LIST_URL, 'revocation'], [SUSPENSION_URL, 'suspension']] as const) {
    const list = buildStatusListCredential({ url, issuer: did, purpose, encodedList: await encodeStatusList({ setIndexes: [1] }), validFrom: new Date('2026-01-01T00:00:00Z') });
    lists.set(url, await signCredential({ credential: list, key: issuer, documentLoader }));
  }
  const options = {
    documentLoader,
    now: () => new Date('2026-06-01T00:00:00Z'),
    statusListLoader: async (url: string) => lists.get(url),
  };
  return { issuer, documentLoader, lists, options };
}

export default async function credentialsBench({ quick }: BenchOptions): Promise<Figures> {
  const COUNT = Number(process.env.SELLO_BENCH_COUNT ?? (quick ? 150 : 1000));
  const { issuer, documentLoader, lists, options } = await verificationFixture();
  const drafts = Array.from({ length: COUNT }, (_, i) => draftCredential(issuer, i));
  // Warm-up: JIT, context expansion caches, the schema compile.
  for (let i = 0; i < 20; i += 1) await verifyCredential(await signCredential({ credential: drafts[i]!, key: issuer, documentLoader }), options);

  // Two clocks: wall time, and the CPU time this process used. On a shared machine
  // (other processes on the same cores) wall time measures the neighbours; CPU time
  // measures what one core spends on our work, which is what `*_per_s` reports. CPU
  // time also counts V8's parallel GC helper threads, so on an idle machine the wall
  // figure can be the higher one: the CPU figure is the conservative one.
  const signed: Array<Record<string, unknown>> = [];
  const signing = await measure(async () => {
    for (const draft of drafts) signed.push(await signCredential({ credential: draft, key: issuer, documentLoader }));
  });
  let failures = 0;
  const verifying = await measure(async () => {
    for (const credential of signed) if (!(await verifyCredential(credential, options)).verified) failures += 1;
  });
  if (failures > 0) throw new Error(`${failures} credentials failed verification in the benchmark`);

  // The DCC verifier on the same credentials, after its own warm-up; fewer of them (it is slow).
  const dcc = await createDccVerifier(new Map([...lists].map(([url, list]) => [url, list as object])));
  const dccCount = Math.min(COUNT, quick ? 20 : 200);
  for (let i = 0; i < 5; i += 1) await dcc.verify(signed[i]!);
  const dccVerifying = await measure(async () => {
    for (let i = 0; i < dccCount; i += 1) await dcc.verify(signed[i]!);
  });
  const dccPerS = dccCount / dccVerifying.cpuSeconds;

  const perCoreTarget = { op: '>=' as const, value: 1500, text: '≥ 1,500/s per core' };
  return {
    sign_per_s: figure({
      value: COUNT / signing.cpuSeconds,
      unit: '/s per core',
      better: 'higher',
      target: perCoreTarget,
      cpuSeconds: signing.cpuSeconds,
      detail: { credentials: COUNT, wallPerS: Math.round(COUNT / signing.wallSeconds) },
    }),
    verify_per_s: figure({
      value: COUNT / verifying.cpuSeconds,
      unit: '/s per core',
      better: 'higher',
      baseline: { name: 'baseline_dcc_verify_per_s', value: dccPerS },
      target: perCoreTarget,
      cpuSeconds: verifying.cpuSeconds,
      detail: { credentials: COUNT, wallPerS: Math.round(COUNT / verifying.wallSeconds), ratioTarget: '≥ 30× baseline_dcc_verify_per_s' },
    }),
    baseline_dcc_verify_per_s: figure({
      value: dccPerS,
      unit: '/s per core',
      better: 'higher',
      cpuSeconds: dccVerifying.cpuSeconds,
      detail: {
        verifier: '@digitalcredentials/verifier-core 1.0.0-beta.11',
        credentials: dccCount,
        wallPerS: Math.round(dccCount / dccVerifying.wallSeconds),
        offline: 'global fetch answered locally: status lists and the OB 3.0 schema served from this process; contexts bundled; did:key',
        notServed: [...dcc.refused],
      },
    }),
  };
}
