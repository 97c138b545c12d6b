/**
 * The verification worker (see `worker-pool.ts` and `verification-pool.ts`): runs
 * `verifyCredential` / `verifyPresentation` off the main thread with the same bundled
 * contexts, the same patched jsonld from node_modules and the same checks, and asks the
 * main thread, by name, for everything that lives there (DID documents of this
 * deployment, status lists, the chain).
 */
import { serveWorkerJobs } from './worker-side.ts';
import { createDocumentLoader } from './document-loader.ts';
import { verifyCredential } from './verify.ts';
import { verifyPresentation } from './verify-presentation.ts';
import type { DidDocument } from './did.ts';
import { OB_V3_CONTEXT, VC_V2_CONTEXT } from './contexts.ts';
import { mayBeAnchoringPending, type CredentialAnswer, type VerificationJob } from './verification-pool.ts';
import { createRemoteAnswerCache } from './remote-answer-cache.ts';

// Answers of the main thread, kept across jobs by source version (see remote-answer-cache.ts).
const answers = createRemoteAnswerCache();
const utf8 = new TextDecoder();

// Before taking jobs: process the contexts every credential uses (the costly part of a
// first verification), so the first job's deadline measures the job. The result is
// thrown away; the patched jsonld keeps the processed contexts (`tag: 'static'`).
await verifyCredential(
  {
    '@context': [VC_V2_CONTEXT, OB_V3_CONTEXT],
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    issuer: { id: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', type: ['Profile'] },
    validFrom: '2026-01-01T00:00:00Z',
    credentialSubject: { type: ['AchievementSubject'], achievement: { id: 'urn:uuid:00000000-0000-4000-8000-000000000000', type: ['Achievement'], name: 'warm-up', criteria: { narrative: '-' } } },
    proof: [{ type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022', proofPurpose: 'assertionMethod', verificationMethod: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', created: '2026-01-01T00:00:00Z', proofValue: 'z1111' }],
  },
  { documentLoader: createDocumentLoader(), statusListLoader: async () => null },
).catch(() => {});

serveWorkerJobs(async (payload, call) => {
  const job = payload as VerificationJob;
  const remote =
    (name: string) =>
    (...args: unknown[]) =>
      answers.answer(name, args, job.versions?.[name.split('.')[0]!], () => call(name, ...args));
  const options: Record<string, unknown> = {
    documentLoader: createDocumentLoader(job.remote.includes('resolveDid') ? { resolveDid: remote('resolveDid') as (did: string) => Promise<DidDocument | null> } : {}),
    ...(job.now ? { now: () => new Date(job.now!) } : {}),
  };
  // `name` or `object.method`: the main thread's options, rebuilt as calls back to it.
  for (const name of job.remote) {
    if (name === 'resolveDid') continue;
    const [key, method] = name.split('.') as [string, string | undefined];
    if (method) options[key] = { ...(options[key] as object | undefined), [method]: remote(name) };
    else options[key] = remote(name);
  }
  const verifyOptions = options as unknown as Parameters<typeof verifyCredential>[1];
  // The same bytes the main thread parsed and checked, parsed again here: the same value.
  const input = job.inputJson ? (JSON.parse(utf8.decode(job.inputJson.bytes)) as Record<string, unknown>)[job.inputJson.member] : job.input;
  if (job.kind === 'presentation') return verifyPresentation(input, { ...verifyOptions, challenge: job.challenge, domain: job.domain });
  const report = await verifyCredential(input, verifyOptions);
  if (job.answer !== 'json') return report;
  // Serialised here, off the event loop; a report the main thread may still amend goes back as it is.
  return (mayBeAnchoringPending(report) ? { report } : { verified: report.verified, json: JSON.stringify(report) }) satisfies CredentialAnswer;
});
