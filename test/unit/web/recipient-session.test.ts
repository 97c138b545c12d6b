/**
 * The recipient's cookie (issue 14): Secure when Sello is served over https, and limited to
 * the public credential pages under PUBLIC_URL's own path (a proxy may serve Sello under a
 * prefix). The http case, without Secure, is covered end to end in credential-page-wallet.
 */
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { rememberRecipient, RECIPIENT_COOKIE } from '../../../src/web/learner/recipient-session.ts';

const cookieSetBy = async (publicUrl: string) => {
  const app = express();
  app.get('/', (_req, res) => {
    rememberRecipient(res, { ltik: 'the-ltik', publicUrl });
    res.end();
  });
  return (await request(app).get('/')).headers['set-cookie']?.[0] ?? '';
};

describe('the recipient cookie', () => {
  it('is Secure on https, HttpOnly, SameSite=Lax, and sent only to the credential pages', async () => {
    expect(await cookieSetBy('https://badges.uni.example')).toBe(`${RECIPIENT_COOKIE}=the-ltik; Path=/credentials/; HttpOnly; Secure; SameSite=Lax`);
  });

  it('follows PUBLIC_URL under a path prefix', async () => {
    expect(await cookieSetBy('https://uni.example/sello/')).toMatch(/; Path=\/sello\/credentials\/;/);
  });
});
