/**
 * Issue 10, finding 3: Sello's requests to LMS hosts cannot be turned against its own
 * network. The anonymous registration endpoint answers every failed target alike (no port
 * or service map), private targets are refused unless allowed, and the LTI key sets and
 * services go through the same guarded client (no redirect elsewhere, size limit, timeout).
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, exportJWK } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestSello, type RunningTestSello } from '../support/sandbox-lms/sello.ts';
import { startSello } from '../../src/server.ts';
import { makeTempDir, testConfig } from '../support/config.ts';

interface Peer {
  url: string;
  hits: string[];
  close(): Promise<void>;
}
const opened: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  for (const resource of opened.reverse()) await resource.close();
});

async function serve(handler: http.RequestListener): Promise<Peer> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const peer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  opened.push(peer);
  return peer;
}

async function tcp(onConnection: (socket: net.Socket) => void): Promise<string> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  opened.push({
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function sello(options: Parameters<typeof startTestSello>[0]): Promise<RunningTestSello> {
  const started = await startTestSello(options);
  opened.push(started);
  return started;
}

/** A valid LTI OpenID configuration served at `base`. */
function openIdConfiguration(base: string) {
  return {
    issuer: base,
    authorization_endpoint: `${base}/auth`,
    token_endpoint: `${base}/token`,
    jwks_uri: `${base}/jwks`,
    registration_endpoint: `${base}/register`,
    'https://purl.imsglobal.org/spec/lti-platform-configuration': { product_family_code: 'moodle' },
  };
}

const register = (base: string, target: string, accept: string) =>
  fetch(`${base}/lti/register?openid_configuration=${encodeURIComponent(target)}`, { headers: { accept } });

describe('the anonymous registration endpoint', () => {
  it('answers a closed port, a non-HTTP service, a silent service, HTTP 401 and invalid JSON identically, at the same moment', async () => {
    const answerAfterMs = 600;
    const instance = await sello({ registration: { timeoutMs: 400, failureAnswerMs: answerAfterMs } });
    const closedPort = await serve(() => {});
    await closedPort.close();
    const sshLike = await tcp((socket) => socket.end('SSH-2.0-OpenSSH_9.2p1\r\n'));
    const silent = await tcp(() => {});
    const unauthorized = await serve((_req, res) => res.writeHead(401, { 'www-authenticate': 'Basic' }).end('no'));
    const notJson = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('<html>hello</html>'));
    const lacksFields = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"issuer":"x"}'));
    const targets = [closedPort.url, sshLike, silent, unauthorized.url, notJson.url, lacksFields.url, 'gopher://127.0.0.1:25/'].map((url) => `${url}/.well-known/openid-configuration`);

    for (const accept of ['application/json', 'text/html']) {
      const answers = [];
      for (const target of targets) {
        const started = Date.now();
        const response = await register(instance.url, target, accept);
        answers.push({ status: response.status, type: response.headers.get('content-type'), body: await response.text(), ms: Date.now() - started });
      }
      const [first] = answers;
      expect(first!.status).toBe(400);
      if (accept === 'application/json') {
        expect(JSON.parse(first!.body)).toEqual({ code: 'lti_registration_failed', message: expect.stringContaining('could not register with this platform') });
      } else {
        expect(first!.body).toContain('<code>lti_registration_failed</code>');
      }
      for (const answer of answers) {
        expect({ status: answer.status, type: answer.type, body: answer.body }).toEqual({ status: first!.status, type: first!.type, body: first!.body });
        expect(answer.ms).toBeGreaterThanOrEqual(answerAfterMs - 5);
        expect(answer.ms).toBeLessThan(answerAfterMs + 1500);
      }
    }
    // The reasons, which the caller did not get, are kept for the administrator.
    const reasons = instance.lti.registrationFailures.list().slice(0, targets.length).reverse();
    expect(reasons.map((failure) => failure.code)).toEqual([
      'lti_registration_unreachable',
      'lti_registration_unreachable',
      'lti_registration_unreachable',
      'lti_registration_unreachable',
      'invalid_openid_configuration',
      'invalid_openid_configuration',
      'invalid_openid_configuration',
    ]);
    expect(reasons[0]!.reason).toMatch(/ECONNREFUSED/);
    expect(reasons[2]!.reason).toMatch(/within 400 ms|timed out|aborted/i);
    expect(reasons[3]!.reason).toMatch(/401/);
  });

  it('refuses a platform on a private address when OUTBOUND_ALLOW_PRIVATE is false, without contacting it', async () => {
    const internal = await serve((req, res) => {
      const base = `http://${req.headers.host}`;
      if (req.url === '/register') res.writeHead(200, { 'content-type': 'application/json' }).end('{"client_id":"internal"}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(openIdConfiguration(base)));
    });
    const guarded = await sello({ env: { OUTBOUND_ALLOW_PRIVATE: 'false' } });
    const response = await register(guarded.url, `${internal.url}/openid`, 'application/json');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'lti_registration_failed' });
    expect(internal.hits).toEqual([]);
    expect(await guarded.lti.registry.list()).toEqual([]);
    // The administrator sees why; the anonymous caller did not.
    const adminView = (await fetch(`${guarded.url}/admin/api/platforms`, { headers: { authorization: `Bearer ${guarded.adminToken}` } }).then((r) => r.json())) as { registrationFailures: unknown[] };
    expect(adminView.registrationFailures[0]).toMatchObject({
      openidConfiguration: `${internal.url}/openid`,
      code: 'lti_registration_unreachable',
      reason: expect.stringContaining('is a loopback address, which Sello does not connect to'),
    });

    // The same platform registers when the administrator allows private addresses.
    const open = await sello({ env: { OUTBOUND_ALLOW_PRIVATE: 'true', LTI_DYNREG_AUTO_APPROVE: 'false' } });
    expect((await register(open.url, `${internal.url}/openid`, 'application/json')).status).toBe(200);
    expect(internal.hits).toEqual(['GET /openid', 'POST /register']);
  });
});

describe('the LTI key sets and services', () => {
  it('refuses a platform key set that redirects to another origin or is too large', async () => {
    const instance = await sello({});
    const { publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const elsewhere = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    const platform = await serve((req, res) => {
      if (req.url === '/jwks-moved') res.writeHead(302, { location: `${elsewhere.url}/jwks` }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk, ...Array.from({ length: 3000 }, (_, i) => ({ ...jwk, kid: `padding-${i}` }))] }));
    });
    await expect(instance.lti.platformKeys.keyFor(`${platform.url}/jwks-moved`, 'k1')).rejects.toMatchObject({
      code: 'lti_signature_invalid',
      cause: { code: 'outbound_redirect_refused' },
    });
    expect(elsewhere.hits).toEqual([]);
    await expect(instance.lti.platformKeys.keyFor(`${platform.url}/jwks-huge`, 'k1')).rejects.toMatchObject({
      code: 'lti_signature_invalid',
      cause: { code: 'outbound_response_too_large' },
    });
  });

  it('gives up on a token endpoint that never answers, instead of waiting for ever', async () => {
    const instance = await sello({ sleep: async () => {}, outbound: { timeoutMs: 300 } });
    const silent = await tcp(() => {});
    const platform = await instance.lti.registry.register({
      iss: 'https://silent.example.edu',
      clientId: 'silent-client',
      authUrl: `${silent}/auth`,
      tokenUrl: `${silent}/token`,
      jwksUrl: `${silent}/jwks`,
      status: 'active',
      registeredVia: 'manual',
    });
    const started = Date.now();
    await expect(instance.lti.services.ags(platform.id).listLineItems(`${silent}/lineitems`)).rejects.toMatchObject({ code: 'lti_service_unavailable' });
    // One try and three retries, each cut at the timeout.
    expect(Date.now() - started).toBeLessThan(4000);
  }, 30_000);
});

describe('the server as composed by startSello', () => {
  it('applies OUTBOUND_ALLOW_PRIVATE=false to Dynamic Registration, answering after the same delay as any failure', async () => {
    const internal = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    const server = await startSello({ config: testConfig({ SELLO_DATA_DIR: makeTempDir(), PORT: '0', OUTBOUND_ALLOW_PRIVATE: 'false' }), announce: () => {} });
    opened.push(server);
    const started = Date.now();
    const response = await register(server.url, `${internal.url}/openid`, 'application/json');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'lti_registration_failed' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_900);
    expect(internal.hits).toEqual([]);
  }, 60_000);
});
