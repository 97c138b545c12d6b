/**
 * Sello's outbound HTTP client against real sockets: local HTTP servers that redirect,
 * answer too much, answer too slowly or not at all, and a resolver that plays DNS.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createOutboundFetch } from '../../src/outbound/outbound-fetch.ts';

interface Peer {
  url: string;
  port: number;
  hits: string[];
  close(): Promise<void>;
}

const peers: Peer[] = [];
afterAll(async () => {
  for (const peer of peers) await peer.close();
});

async function serve(handler: http.RequestListener): Promise<Peer> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url} host=${req.headers.host}`);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const peer = {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  peers.push(peer);
  return peer;
}

const json = (body: unknown): http.RequestListener => (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

describe('the outbound client', () => {
  it('refuses a loopback target when private addresses are not allowed, without connecting', async () => {
    const peer = await serve(json({ ok: true }));
    const guarded = createOutboundFetch({ allowPrivate: false });
    await expect(guarded(`${peer.url}/x`)).rejects.toMatchObject({ code: 'outbound_address_refused', details: { address: '127.0.0.1', kind: 'loopback' } });
    await expect(guarded(`http://[::ffff:127.0.0.1]:${peer.port}/x`)).rejects.toMatchObject({ code: 'outbound_address_refused' });
    await expect(guarded(`http://localhost:${peer.port}/x`)).rejects.toMatchObject({ code: 'outbound_address_refused' });
    await expect(guarded('http://169.254.169.254/latest/meta-data/')).rejects.toMatchObject({ code: 'outbound_address_refused', details: { kind: 'link_local' } });
    await expect(guarded(`http://0.0.0.0:${peer.port}/x`)).rejects.toMatchObject({ code: 'outbound_address_refused', details: { kind: 'unspecified' } });
    expect(peer.hits).toEqual([]);
  });

  it('checks every address a name resolves to and connects to the checked one, so DNS cannot rebind it', async () => {
    const peer = await serve(json({ ok: true }));
    let lookups = 0;
    const mixed = createOutboundFetch({ allowPrivate: false, resolve: async () => [{ address: '93.184.215.14', family: 4 }, { address: '10.0.0.7', family: 4 }] });
    await expect(mixed('http://lms.example.edu/')).rejects.toMatchObject({ code: 'outbound_address_refused', details: { host: 'lms.example.edu', address: '10.0.0.7' } });
    // Allowed, the name is resolved once and the request goes to that address with the name as Host.
    const pinned = createOutboundFetch({
      allowPrivate: true,
      resolve: async () => {
        lookups += 1;
        return lookups === 1 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '169.254.169.254', family: 4 }];
      },
    });
    const answer = await pinned(`http://lms.example.edu:${peer.port}/keys`);
    expect(await answer.json()).toEqual({ ok: true });
    expect(lookups).toBe(1);
    expect(peer.hits).toEqual([`GET /keys host=lms.example.edu:${peer.port}`]);
  });

  it('refuses a redirect to another origin, and follows a few within the same origin', async () => {
    const elsewhere = await serve(json({ stolen: true }));
    const redirecting = await serve((req, res) => {
      if (req.url === '/away') res.writeHead(302, { location: `${elsewhere.url}/meta` }).end();
      else if (req.url === '/here') res.writeHead(301, { location: '/final' }).end();
      else if (req.url?.startsWith('/loop')) res.writeHead(307, { location: `/loop${Number(req.url.slice(5) || 0) + 1}` }).end();
      else json({ final: true })(req, res);
    });
    const client = createOutboundFetch({ allowPrivate: true });
    await expect(client(`${redirecting.url}/away`)).rejects.toMatchObject({ code: 'outbound_redirect_refused', details: { location: elsewhere.url } });
    expect(elsewhere.hits).toEqual([]);
    const followed = await client(`${redirecting.url}/here`);
    expect(await followed.json()).toEqual({ final: true });
    expect(followed.url).toBe(`${redirecting.url}/final`);
    await expect(client(`${redirecting.url}/loop`)).rejects.toMatchObject({ code: 'outbound_redirect_refused', details: { limit: 3 } });
    await expect(client(`${redirecting.url}/here`, { redirect: 'error' })).rejects.toMatchObject({ code: 'outbound_redirect_refused' });
  });

  it('refuses an answer larger than the limit, whether it says so up front or not', async () => {
    const big = Buffer.alloc(64 * 1024, 'a');
    const peer = await serve((req, res) => {
      if (req.url === '/declared') res.writeHead(200, { 'content-length': String(big.length) }).end(big);
      else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(big);
        res.end(big);
      }
    });
    const client = createOutboundFetch({ allowPrivate: true, maxResponseBytes: 100 * 1024 });
    expect((await (await client(`${peer.url}/declared`)).arrayBuffer()).byteLength).toBe(big.length);
    await expect(client(`${peer.url}/declared`, { maxResponseBytes: 1024 })).rejects.toMatchObject({ code: 'outbound_response_too_large', details: { limit: 1024 } });
    await expect(client(`${peer.url}/chunked`)).rejects.toMatchObject({ code: 'outbound_response_too_large', details: { limit: 100 * 1024 } });
  });

  it('gives up on a server that does not answer, or answers too slowly, at the total timeout', async () => {
    const silent = await serve(() => {
      // accepts the request and never answers
    });
    const dripping = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    });
    const client = createOutboundFetch({ allowPrivate: true, timeoutMs: 300 });
    for (const peer of [silent, dripping]) {
      const started = Date.now();
      await expect(client(`${peer.url}/`)).rejects.toMatchObject({ code: 'outbound_timeout', details: { phase: 'total' } });
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(Date.now() - started).toBeLessThan(3000);
    }
  });

  it('gives up at the connect timeout when the name or the connection does not come', async () => {
    const stuck = createOutboundFetch({ allowPrivate: true, connectTimeoutMs: 200, resolve: () => new Promise(() => {}) });
    const started = Date.now();
    await expect(stuck('http://lms.example.edu/')).rejects.toMatchObject({ code: 'outbound_timeout', details: { phase: 'connect' } });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('names a closed port and a service that does not speak HTTP as unreachable', async () => {
    const closed = await serve(json({}));
    await closed.close();
    const notHttp = net.createServer((socket) => socket.end('SSH-2.0-OpenSSH_9.2\r\n'));
    await new Promise<void>((resolve) => notHttp.listen(0, '127.0.0.1', () => resolve()));
    const client = createOutboundFetch({ allowPrivate: true });
    try {
      await expect(client(`${closed.url}/`)).rejects.toMatchObject({ code: 'outbound_unreachable', details: { reason: 'ECONNREFUSED' } });
      await expect(client(`http://127.0.0.1:${(notHttp.address() as AddressInfo).port}/`)).rejects.toMatchObject({ code: 'outbound_unreachable' });
    } finally {
      notHttp.close();
    }
  });

  it('refuses URLs that are not http(s) or carry credentials, and sends bodies as fetch does', async () => {
    const echo = await serve((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => json({ method: req.method, type: req.headers['content-type'], body })(req, res));
    });
    const client = createOutboundFetch({ allowPrivate: true });
    await expect(client('file:///etc/passwd')).rejects.toMatchObject({ code: 'outbound_url_invalid' });
    await expect(client(`http://user:pw@127.0.0.1:${echo.port}/`)).rejects.toMatchObject({ code: 'outbound_url_invalid' });
    const posted = await client(new URL(`${echo.url}/token`), { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }) });
    expect(await posted.json()).toEqual({ method: 'POST', type: 'application/x-www-form-urlencoded;charset=UTF-8', body: 'grant_type=client_credentials' });
  });
});
