/**
 * Where one verification's CPU goes, outside `npm run bench` (issue 15): the credentials
 * group's 1,000 credentials verified in passes (the bench measures the first, 20
 * verifications after start-up), the DCC verifier on the same credentials in passes,
 * and the parts of one verification timed alone. Not a figure of the bench; for
 * profiling:
 *
 *   node bin/run-ts.js bench/profile-verify.ts
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof bin/run-ts.js bench/profile-verify.ts
 *
 * Times are CPU time of this process (all threads) per verification, best of 3 for the parts.
 */
import crypto from 'node:crypto';
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { signCredential } from '../src/credentials/sign-credential.ts';
import { verifyCredential } from '../src/credentials/verify.ts';
import { credentialHash } from '../src/credentials/credential-hash.ts';
import { validateOb3Schema } from '../src/credentials/schema.ts';
import { eddsaRdfc2022 } from '../src/credentials/cryptosuite.ts';
import { draftCredential, verificationFixture } from './credentials.bench.ts';
import { createDccVerifier } from './dcc-baseline.ts';

const COUNT = 1000;
const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

const { issuer, documentLoader, lists, options } = await verificationFixture();
for (let i = 0; i < 20; i += 1) await verifyCredential(await signCredential({ credential: draftCredential(issuer, i), key: issuer, documentLoader }), options);
const signed: Array<Record<string, unknown>> = [];
for (let i = 0; i < COUNT; i += 1) signed.push(await signCredential({ credential: draftCredential(issuer, i), key: issuer, documentLoader }));

for (let pass = 1; pass <= 5; pass += 1) {
  const since = process.cpuUsage();
  for (const credential of signed) if (!(await verifyCredential(credential, options)).verified) throw new Error('A credential failed verification');
  const ms = cpuMs(since) / COUNT;
  console.log(`sello pass ${pass}${pass === 1 ? ' (what the bench measures)' : ''}: ${ms.toFixed(3)} ms, ${Math.round(1000 / ms)} /s`);
}

const dcc = await createDccVerifier(lists);
for (const [from, count] of [[0, 5], [5, 200], [205, 200], [405, 200]] as const) {
  const since = process.cpuUsage();
  for (let i = from; i < from + count; i += 1) await dcc.verify(signed[i]!);
  const ms = cpuMs(since) / count;
  console.log(`dcc ${from}-${from + count}${from === 5 ? ' (what the bench measures)' : ''}: ${ms.toFixed(2)} ms, ${Math.round(1000 / ms)} /s`);
}

async function part(name: string, run: (credential: Record<string, unknown>) => unknown): Promise<void> {
  let best = Infinity;
  for (let round = 0; round < 3; round += 1) {
    const since = process.cpuUsage();
    for (const credential of signed) await run(credential);
    best = Math.min(best, cpuMs(since) / COUNT);
  }
  console.log(`${name.padEnd(44)} ${best.toFixed(4)} ms`);
}
const canonizeOptions = { documentLoader, base: null, safe: true, skipExpansion: false };
const proofOf = (credential: Record<string, unknown>) => {
  const proof = credential.proof as Record<string, unknown> | Array<Record<string, unknown>>;
  return Array.isArray(proof) ? proof[0]! : proof;
};
const keys = crypto.generateKeyPairSync('ed25519');
const digests = Buffer.alloc(64, 7);
const signature = crypto.sign(null, digests, keys.privateKey);
await part('verifyCredential (every check)', (credential) => verifyCredential(credential, options));
await part('  signature: @digitalbazaar/vc verifyCredential', (credential) =>
  vc.verifyCredential({ credential, suite: new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 }), documentLoader, now: new Date(String(credential.validFrom)), checkStatus: async () => ({ verified: true }) }),
);
await part('    canonicalize the credential (by shape)', ({ proof: _proof, ...rest }) => eddsaRdfc2022.canonize(rest, canonizeOptions));
await part('    canonicalize the proof options (by shape)', (credential) => {
  const { proofValue: _value, ...proof } = proofOf(credential);
  return eddsaRdfc2022.canonize({ ...proof, '@context': credential['@context'] }, canonizeOptions);
});
await part('    Ed25519 verify (node:crypto, KeyObject)', () => crypto.verify(null, digests, keys.publicKey, signature));
await part('  credentialHash (JCS + SHA-256)', (credential) => credentialHash(credential));
await part('  schema (ajv, compiled once)', (credential) => validateOb3Schema(credential));
