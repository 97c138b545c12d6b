/**
 * TRUST_PROXY unset, Sello believes no X-Forwarded-For (see the rate-limit tests in
 * credentials-verify-load.test.ts); behind a local proxy that sends one, it says once
 * how to fix the shared rate-limit bucket instead of failing silently.
 */
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp } from '../support/app.ts';

function capturingLogger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
  return { log, lines };
}

describe('TRUST_PROXY', () => {
  const unset = capturingLogger();
  const set = capturingLogger();
  let direct: Awaited<ReturnType<typeof makeTestApp>>;
  let proxied: Awaited<ReturnType<typeof makeTestApp>>;
  beforeAll(async () => {
    direct = await makeTestApp({ log: unset.log });
    proxied = await makeTestApp({ env: { TRUST_PROXY: 'loopback' }, log: set.log });
  });
  afterAll(async () => {
    await direct.close();
    await proxied.close();
  });

  it('warns once, naming TRUST_PROXY, when a proxy on this machine sends X-Forwarded-For and it is unset', async () => {
    for (let i = 0; i < 3; i++) await request(direct.app).get('/health').set('x-forwarded-for', `203.0.113.${i}`);
    const warnings = unset.lines.filter((line) => /TRUST_PROXY/.test(line.msg));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.level).toBe(40);
  });

  it('says nothing when the proxy is trusted', async () => {
    await request(proxied.app).get('/health').set('x-forwarded-for', '203.0.113.9');
    expect(set.lines.filter((line) => /TRUST_PROXY/.test(line.msg))).toEqual([]);
  });
});
