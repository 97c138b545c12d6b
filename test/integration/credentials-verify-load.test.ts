/**
 * Issue 10 finding 4: one request must not freeze the server. Submitted credentials and
 * presentations are held to size limits (413), verified in worker threads with a
 * deadline (503), and each client is rate limited (429).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exceededVerificationLimit, VERIFICATION_LIMITS } from '../../src/credentials/verification-limits.ts';
import type { SigningKey } from '../../src/credentials/sign-credential.ts';
import { makeDidKeyIssuer, signedCredential } from '../unit/credentials/fixtures.ts';
import { ADMIN, makeCredentialsApp } from './credentials-fixture.ts';

type App = Awaited<ReturnType<typeof makeCredentialsApp>>;

function valuesIn(value: unknown): number {
  if (Array.isArray(value)) return 1 + value.reduce((sum: number, item) => sum + valuesIn(item), 0);
  if (value && typeof value === 'object') return 1 + Object.values(value).reduce((sum: number, item) => sum + valuesIn(item), 0);
  return 1;
}

/** Close to every limit at once: 1,000 evidence items and 160 alignments, about 9,900 JSON values, all signed. */
async function largestAllowedCredential(issuer: SigningKey) {
  return signedCredential(issuer, {
    evidence: Array.from({ length: VERIFICATION_LIMITS.maxArrayItems }, (_, i) => ({
      id: `https://uni.example/evidence/${i}`,
      name: `Submission ${i}`,
      narrative: `Graded submission number ${i}`,
      description: `Evidence item ${i}`,
      genre: 'Assignment',
      audience: 'Employers',
    })) as never,
    achievement: {
      id: 'https://uni.example/achievements/big',
      name: 'A large credential',
      description: 'As large as the verifier accepts.',
      criteria: { narrative: 'Everything.' },
      achievementType: 'Badge',
      alignment: Array.from({ length: 160 }, (_, i) => ({ targetName: `Competency ${i}`, targetUrl: `https://uni.example/competencies/${i}` })),
    },
    // No status list and no chain: nothing for the server to look up, the work is the proof.
    status: undefined,
    chainReference: undefined,
  });
}

/** /health answer times, asked one after the other (2 ms apart) until `stop()`. */
async function sampleHealth(base: string, stop: () => boolean): Promise<number[]> {
  const times: number[] = [];
  while (!stop()) {
    const asked = performance.now();
    const health = await fetch(`${base}/health`);
    await health.arrayBuffer();
    times.push(performance.now() - asked);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return times;
}

function summary(times: number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0);
  return { samples: sorted.length, medianMs: at(0.5), p90Ms: at(0.9), p95Ms: at(0.95), worstMs: Math.round(sorted[sorted.length - 1] ?? 0) };
}

describe('verification that cannot stall the server', () => {
  let t: App;
  let issuer: SigningKey;
  let largest: Record<string, unknown>;
  let small: Record<string, unknown>;
  beforeAll(async () => {
    t = await makeCredentialsApp();
    issuer = await makeDidKeyIssuer();
    largest = await largestAllowedCredential(issuer);
    const issued = await request(t.app)
      .post('/credentials/issue')
      .set('authorization', `Bearer ${ADMIN}`)
      .send({ credential: {}, options: { achievementId: t.achievement.id, recipient: { email: 'ana@example.edu', name: 'Ana' } } })
      .expect(201);
    small = issued.body.verifiableCredential;
  });
  afterAll(() => t.close());

  it('accepts the largest allowed credential, and it is close to the limits', () => {
    expect(exceededVerificationLimit(largest, 'credential')).toBeNull();
    expect(valuesIn(largest)).toBeGreaterThan(VERIFICATION_LIMITS.maxValues * 0.95);
  });

  it('refuses an array of more than 1,000 items with 413 verification_input_too_large, before verifying', async () => {
    const evidence = Array.from({ length: VERIFICATION_LIMITS.maxArrayItems + 1 }, (_, i) => ({ type: ['Evidence'], name: `E${i}` }));
    const res = await request(t.app).post('/credentials/verify').send({ verifiableCredential: { ...small, evidence } }).expect(413);
    expect(res.body).toMatchObject({ code: 'verification_input_too_large', details: { limit: 'maxArrayItems', max: 1000, found: 1001, path: '$.evidence' } });
  });

  it('refuses more than 10,000 JSON values in a credential, and more than 20 credentials in a presentation, with 413', async () => {
    const many = { ...small, evidence: Array.from({ length: 900 }, (_, i) => ({ type: ['Evidence'], name: `E${i}`, narrative: 'n', description: 'd', genre: 'g', audience: 'a', id: `https://e.example/${i}`, extra: [1, 2] })) };
    const values = await request(t.app).post('/credentials/verify').send({ verifiableCredential: many }).expect(413);
    expect(values.body).toMatchObject({ code: 'verification_input_too_large', details: { limit: 'maxValues', max: 10_000 } });
    const presentation = { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], verifiableCredential: Array.from({ length: 21 }, () => small) };
    const crowded = await request(t.app).post('/presentations/verify').send({ verifiablePresentation: presentation }).expect(413);
    expect(crowded.body).toMatchObject({ code: 'verification_input_too_large', details: { limit: 'maxCredentialsPerPresentation', max: 20, found: 21 } });
    const twenty = await request(t.app).post('/presentations/verify').send({ verifiablePresentation: { ...presentation, verifiableCredential: presentation.verifiableCredential.slice(1) } }).expect(200);
    expect(twenty.body.credentials).toHaveLength(20);
  });

  // jsonld keeps the last 100 distinct inline contexts it processed, in every worker: at
  // 2 MB each (within BODY_LIMIT and maxValues) they held about 7 MB apiece, measured.
  it('refuses inline @context objects of more than 16 KB with 413, before verifying, and accepts a small one', async () => {
    const terms = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`term${i}`, `https://vocab.example/terms/${i}`]));
    const context = [...(small['@context'] as unknown[]), terms];
    const res = await request(t.app).post('/credentials/verify').send({ verifiableCredential: { ...small, '@context': context } }).expect(413);
    expect(res.body).toMatchObject({ code: 'verification_input_too_large', details: { limit: 'maxInlineContextChars', max: 16_384, path: '$.@context' } });
    const nested = { ...small, credentialSubject: { ...(small.credentialSubject as object), '@context': terms } };
    expect((await request(t.app).post('/credentials/verify').send({ verifiableCredential: nested }).expect(413)).body.details).toMatchObject({ limit: 'maxInlineContextChars' });
    const inPresentation = { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], verifiableCredential: [{ ...small, '@context': context }] };
    await request(t.app).post('/presentations/verify').send({ verifiablePresentation: inPresentation }).expect(413);
    const modest = { ...small, '@context': [...(small['@context'] as unknown[]), { '@vocab': 'https://vocab.example/terms/' }] };
    expect(exceededVerificationLimit(modest, 'credential')).toBeNull();
  });

  it('keeps /health under 100 ms while the largest allowed credential is verified', async () => {
    const server = await new Promise<http.Server>((resolve) => {
      const listening = t.app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      // Workers started and warm: what is measured is the verification, not a thread's start.
      await fetch(`${base}/credentials/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ verifiableCredential: small }) });
      let idleDone = false;
      setTimeout(() => (idleDone = true), 1000);
      const idle = summary(await sampleHealth(base, () => idleDone));
      const started = performance.now();
      let verifyMs = 0;
      const verifying = fetch(`${base}/credentials/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ verifiableCredential: largest }) }).then(async (res) => {
        verifyMs = performance.now() - started;
        return { status: res.status, body: (await res.json()) as { verified: boolean } };
      });
      let done = false;
      void verifying.finally(() => (done = true));
      const healthMs = await sampleHealth(base, () => done);
      const result = await verifying;
      expect(result.status).toBe(200);
      expect(result.body.verified).toBe(true);
      const during = summary(healthMs);
      console.log(JSON.stringify({ largestCredentialValues: valuesIn(largest), largestCredentialBytes: JSON.stringify(largest).length, verifyMs: Math.round(verifyMs), idleHealth: idle, healthDuringVerification: during }));
      // Verified on the main thread, /health waited for the whole verification (one answer
      // after seconds). Off it, /health answers all along in under 100 ms; on a shared
      // host (this one runs seven test suites on two cores) the bound is on the 90th
      // percentile and allows the scheduling noise /health shows with nothing to verify.
      expect(during.samples).toBeGreaterThan(5);
      expect(during.p90Ms).toBeLessThan(Math.max(100, idle.p95Ms + 50));
      expect(during.worstMs).toBeLessThan(verifyMs / 2);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('verification deadline', () => {
  let issuer: SigningKey;
  beforeAll(async () => {
    issuer = await makeDidKeyIssuer();
  });

  it('answers 503 verification_timeout with Retry-After past the deadline, then verifies the next request on a fresh worker', async () => {
    const largest = await largestAllowedCredential(issuer);
    const small = await signedCredential(issuer, { status: undefined, chainReference: undefined });
    // A fixed deadline is too long on a fast machine and too short on a loaded one: measure
    // this machine first (warm small verification, largest verification), and put the
    // deadline between the two (geometric mean). Workers warm up before taking jobs, so a
    // replacement's first small verification costs what a warm one does.
    const probe = await makeCredentialsApp({});
    const timed = async (credential: unknown) => {
      const started = performance.now();
      await request(probe.app).post('/credentials/verify').send({ verifiableCredential: credential });
      return performance.now() - started;
    };
    let smallMs: number;
    let largestMs: number;
    try {
      await timed(small);
      smallMs = Math.max(await timed(small), await timed(small), 1);
      largestMs = await timed(largest);
    } finally {
      await probe.close();
    }
    expect(largestMs).toBeGreaterThan(smallMs * 4);
    const deadlineS = Math.sqrt(smallMs * largestMs) / 1000;
    const t = await makeCredentialsApp({ env: { VERIFY_TIMEOUT_S: deadlineS.toFixed(3) } });
    try {
      // Warm: the pool has a worker ready before the deadline is measured.
      await request(t.app).post('/credentials/verify').send({ verifiableCredential: small });
      const slow = await request(t.app).post('/credentials/verify').send({ verifiableCredential: largest }).expect(503);
      expect(slow.body.code).toBe('verification_timeout');
      expect(Number(slow.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      const next = await request(t.app).post('/credentials/verify').send({ verifiableCredential: small }).expect(200);
      expect(next.body.verified).toBe(true);
    } finally {
      await t.close();
    }
  });
});

/**
 * An app with one verification worker whose every verification waits `chainMs` for the
 * anchor check (`onChainAsked` runs as it starts), and a credential it issued.
 */
async function slowChainApp({ chainMs, requestDeadlineMs, onChainAsked = () => {} }: { chainMs: number; requestDeadlineMs: number; onChainAsked?: () => void }): Promise<{ t: App; credential: unknown }> {
  const t = await makeCredentialsApp({
    env: { VERIFY_WORKERS: '1', VERIFY_REQUEST_DEADLINE_MS: String(requestDeadlineMs) },
    anchorChecker: async () => {
      onChainAsked();
      await new Promise((resolve) => setTimeout(resolve, chainMs));
      return { valid: true };
    },
  });
  try {
    const issued = await request(t.app)
      .post('/credentials/issue')
      .set('authorization', `Bearer ${ADMIN}`)
      .send({ credential: {}, options: { achievementId: t.achievement.id, recipient: { email: 'ana@example.edu', name: 'Ana' } } })
      .expect(201);
    return { t, credential: issued.body.verifiableCredential };
  } catch (error) {
    await t.close();
    throw error;
  }
}

describe('verification at capacity', () => {
  it('with one worker and slow work, answers the requests beyond capacity at once with 503 and Retry-After, and verifies the ones it accepted; the /verify page is given the same Retry-After', async () => {
    // Slow work: a chain that takes 400 ms to answer the anchor check holds the worker that long.
    const slowChainMs = 400;
    const { t, credential } = await slowChainApp({ chainMs: slowChainMs, requestDeadlineMs: 1000 });
    try {
      // The pool measures its service time on a first one.
      await request(t.app).post('/credentials/verify').send({ verifiableCredential: credential }).expect(200);
      const submitted = performance.now();
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          request(t.app)
            .post('/credentials/verify')
            .send({ verifiableCredential: credential })
            .then((res) => ({ status: res.status, body: res.body as { code?: string; verified?: boolean }, retryAfter: res.headers['retry-after'], ms: performance.now() - submitted })),
        ),
      );
      const accepted = answers.filter((answer) => answer.status === 200);
      const refused = answers.filter((answer) => answer.status !== 200);
      // One runs at once, the next waits ~400 ms and ends by ~800: within 1 s. A third would
      // end past it. (One only, if the measured first job took over 500 ms on a busy host.)
      expect(accepted.length).toBeGreaterThanOrEqual(1);
      expect(accepted.length).toBeLessThanOrEqual(2);
      for (const answer of accepted) {
        expect(answer.body.verified).toBe(true);
        expect(answer.ms).toBeLessThan(1000 + 500);
      }
      expect(refused).toHaveLength(8 - accepted.length);
      for (const answer of refused) {
        expect(answer.status).toBe(503);
        expect(answer.body.code).toBe('verification_unavailable');
        expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
        // At once: before the first accepted one is verified.
        expect(answer.ms).toBeLessThan(slowChainMs);
      }
      // Drained, it accepts again.
      await request(t.app).post('/credentials/verify').send({ verifiableCredential: credential }).expect(200);

      // The /verify page is refused at capacity with the same Retry-After (when the queue
      // will have drained, a second or two), not the verification deadline's.
      const deadlineS = Math.ceil(t.config.verification.timeoutMs / 1000);
      const pages = await Promise.all(
        Array.from({ length: 8 }, () => request(t.app).post('/verify').field('credential', JSON.stringify(credential)).then((res) => ({ status: res.status, retryAfter: res.headers['retry-after'] }))),
      );
      const pagesRefused = pages.filter((page) => page.status !== 200);
      expect(pagesRefused.length).toBeGreaterThanOrEqual(8 - 2);
      for (const page of pagesRefused) {
        expect(page.status).toBe(503);
        expect(Number(page.retryAfter)).toBeGreaterThanOrEqual(1);
        expect(Number(page.retryAfter)).toBeLessThan(deadlineS);
      }
    } finally {
      await t.close();
    }
  });
});

describe('verification at capacity, before the body is read', () => {
  it('refuses a verification the pool would refuse before parsing its body, and parses the next one once the pool has room', async () => {
    let started = () => {};
    const { t, credential } = await slowChainApp({ chainMs: 600, requestDeadlineMs: 700, onChainAsked: () => started() });
    try {
      // The pool measures its service time (≥ 600 ms) on a first one.
      await request(t.app).post('/credentials/verify').send({ verifiableCredential: credential }).expect(200);
      // Holding the worker once the chain is asked.
      const busy = new Promise<void>((resolve) => (started = resolve));
      const running = request(t.app).post('/credentials/verify').send({ verifiableCredential: credential });
      const finished = running.then((res) => res.status);
      await busy;
      // One job ahead of ≥ 600 ms: this one would end past 700 ms. Its body is not even JSON,
      // which the parser would answer with 400: the refusal came first.
      const refused = await request(t.app).post('/credentials/verify').set('content-type', 'application/json').send('{"verifiableCredential": ').expect(503);
      expect(refused.body.code).toBe('verification_unavailable');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(refused.headers['content-security-policy']).toBeTruthy();
      // The presentations' verifier shares the pool, and its refusal comes as early.
      const refusedPresentation = await request(t.app).post('/presentations/verify').set('content-type', 'application/json').send('{"verifiablePresentation": ').expect(503);
      expect(refusedPresentation.body.code).toBe('verification_unavailable');
      expect(await finished).toBe(200);
      const parsed = await request(t.app).post('/credentials/verify').set('content-type', 'application/json').send('{"verifiableCredential": ').expect(400);
      expect(parsed.body.code).toBe('invalid_json');
    } finally {
      await t.close();
    }
  });
});

describe('verification rate limit', () => {
  let t: App;
  let direct: App;
  beforeAll(async () => {
    // supertest connects from 127.0.0.1: with TRUST_PROXY=loopback it plays a local reverse proxy.
    t = await makeCredentialsApp({ env: { VERIFY_RATE_LIMIT: '3', TRUST_PROXY: 'loopback' } });
    direct = await makeCredentialsApp({ env: { VERIFY_RATE_LIMIT: '3' } });
  });
  afterAll(async () => {
    await t.close();
    await direct.close();
  });

  it('does not let a client escape its limit by sending a new X-Forwarded-For each time (TRUST_PROXY unset)', async () => {
    const notACredential = { verifiableCredential: { name: 'x' } };
    for (let i = 0; i < 3; i++) await request(direct.app).post('/credentials/verify').set('x-forwarded-for', `203.0.113.${i}`).send(notACredential).expect(400);
    const limited = await request(direct.app).post('/credentials/verify').set('x-forwarded-for', '198.51.100.77').send(notACredential).expect(429);
    expect(limited.body.code).toBe('rate_limited');
  });

  it('answers 429 rate_limited with Retry-After once a client passes VERIFY_RATE_LIMIT a minute, other clients behind a trusted proxy unaffected', async () => {
    const notACredential = { verifiableCredential: { name: 'x' } };
    for (let i = 0; i < 3; i++) await request(t.app).post('/credentials/verify').set('x-forwarded-for', '203.0.113.7').send(notACredential).expect(400);
    const limited = await request(t.app).post('/presentations/verify').set('x-forwarded-for', '203.0.113.7').send({ verifiablePresentation: {} }).expect(429);
    expect(limited.body.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(20);
    await request(t.app).post('/credentials/verify').set('x-forwarded-for', '198.51.100.9').send(notACredential).expect(400);
    // Pages and other endpoints are not counted.
    await request(t.app).get('/health').set('x-forwarded-for', '203.0.113.7').expect(200);
  });

  it('counts an IPv6 client by its /64: a new address of the same block each time gets no new allowance', async () => {
    const notACredential = { verifiableCredential: { name: 'x' } };
    for (let i = 1; i <= 3; i++) await request(t.app).post('/credentials/verify').set('x-forwarded-for', `2001:db8:a:b::${i}`).send(notACredential).expect(400);
    const limited = await request(t.app).post('/credentials/verify').set('x-forwarded-for', '2001:db8:a:b:ffff::9').send(notACredential).expect(429);
    expect(limited.body.code).toBe('rate_limited');
    // The next /64 is another client.
    await request(t.app).post('/credentials/verify').set('x-forwarded-for', '2001:db8:a:c::1').send(notACredential).expect(400);
  });
});
