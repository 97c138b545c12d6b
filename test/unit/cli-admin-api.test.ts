/**
 * The CLI works on the database only when no Sello listens at the URL; a Sello that is
 * there but busy is waited for and reported, never bypassed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { callAdminApi } from '../../src/cli/admin-api.ts';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the CLI calling a running Sello', () => {
  it('gets the answer of a Sello that answers, with the admin token and the CLI marker', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const baseUrl = await serve((req, res) => {
      seen.push(req.headers);
      res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'current_key_revoke_conflict' }));
    });
    const answer = await callAdminApi({ baseUrl, token: 't0ken', method: 'POST', path: '/admin/api/x', body: { a: 1 } });
    expect(answer).toEqual({ status: 409, ok: false, body: { code: 'current_key_revoke_conflict' } });
    expect(seen[0]).toMatchObject({ authorization: 'Bearer t0ken', 'x-sello-cli': '1' });
  });

  it('answers null when nothing listens at the URL, so the command works on the database', async () => {
    const baseUrl = await serve(() => {});
    servers[0]!.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await callAdminApi({ baseUrl, token: 't', method: 'GET', path: '/admin/api/x' })).toBeNull();
  });

  it('reports a Sello that accepts the connection but does not answer in time, instead of going around it', async () => {
    const baseUrl = await serve(() => {});
    await expect(callAdminApi({ baseUrl, token: 't', method: 'GET', path: '/admin/api/x', timeoutMs: 200 })).rejects.toMatchObject({
      code: 'sello_not_answering',
    });
  });
});
