/**
 * Sello's one outbound HTTP client. Every request Sello makes to a host it does not run
 * (Dynamic Registration, platform key sets, OAuth 2 tokens, AGS, NRPS, the Moodle and
 * Canvas connectors) goes through it, because those hosts come from LMS data, admin
 * input or an anonymous registration request:
 *
 * - the host name is resolved once, every address it resolves to is checked
 *   (`address-policy.ts`), and the connection goes to the checked address, so that a
 *   short-TTL DNS answer cannot swap in an internal address after the check (DNS
 *   rebinding); TLS still verifies the certificate against the host name;
 * - a connect timeout (DNS, TCP and TLS) and a total timeout (the whole exchange,
 *   redirects and body included);
 * - a response size limit, checked on `Content-Length` and while reading;
 * - redirects only within the same origin, at most `maxRedirects`; any other is refused.
 *
 * It has the shape of `fetch` (string or URL input, `RequestInit`), so capabilities take
 * it as their `fetch` dependency; the answer is a standard `Response` with the whole body
 * already read. Failures throw `OutboundError` (or the caller's `signal` reason).
 *
 * https://owasp.org/www-community/attacks/Server_Side_Request_Forgery
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { VERSION } from '../version.ts';
import { classifyAddress, isAddressAllowed } from './address-policy.ts';
import { OutboundError } from './outbound-error.ts';

export interface OutboundPolicy {
  /** Opens loopback and private addresses (`OUTBOUND_ALLOW_PRIVATE`). */
  allowPrivate: boolean;
  /** DNS, TCP and TLS together. */
  connectTimeoutMs?: number;
  /** The whole exchange, redirects and body included; a request may ask for less. */
  timeoutMs?: number;
  /** Largest body read; a request may ask for less. */
  maxResponseBytes?: number;
  /** Same-origin redirects followed; any redirect to another origin is refused. */
  maxRedirects?: number;
  /** Resolves a host name to every address it has (tests play DNS with it). */
  resolve?: (hostname: string) => Promise<Array<{ address: string; family: number }>>;
}

export interface OutboundRequestInit extends RequestInit {
  /** A shorter total timeout for this request. */
  timeoutMs?: number;
  /** A smaller size limit for this request. */
  maxResponseBytes?: number;
}

/** Marks the functions `createOutboundFetch` made; nothing else carries it. */
const GUARDED = Symbol('sello.outboundFetch');

/**
 * `fetch`, guarded. Branded: a plain `fetch` (or any other function) does not type-check
 * where a capability asks for this, and `assertOutboundFetch` refuses it at run time, so
 * no request to an LMS can leave Sello unguarded by omission or by a default.
 */
export type OutboundFetch = ((input: string | URL | Request, init?: OutboundRequestInit) => Promise<Response>) & { readonly [GUARDED]: true };

/** True for a client made by `createOutboundFetch`. */
export function isOutboundFetch(candidate: unknown): candidate is OutboundFetch {
  return typeof candidate === 'function' && (candidate as { [GUARDED]?: unknown })[GUARDED] === true;
}

/**
 * Refuses anything but Sello's outbound client where requests to LMS hosts are made
 * (programmer misuse, hence a `TypeError`): JavaScript callers and casts get past the
 * type, not past this.
 *
 * @throws TypeError when `candidate` was not made by `createOutboundFetch`.
 */
export function assertOutboundFetch(candidate: unknown, who: string): asserts candidate is OutboundFetch {
  if (!isOutboundFetch(candidate)) {
    throw new TypeError(`${who} sends requests to LMS hosts only through Sello's outbound client (createOutboundFetch), not a plain fetch`);
  }
}

export const OUTBOUND_DEFAULTS = {
  connectTimeoutMs: 5_000,
  timeoutMs: 15_000,
  maxResponseBytes: 8 * 1024 * 1024,
  maxRedirects: 3,
} as const;

interface Answer {
  status: number;
  statusText: string;
  rawHeaders: string[];
  body: Buffer;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NULL_BODY = new Set([101, 204, 205, 304]);

const systemResolve = async (hostname: string) => dns.promises.lookup(hostname, { all: true, verbatim: true });

/** Rejects with the signal's reason as soon as it aborts (DNS lookups cannot be cancelled). */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function encodeBody(body: RequestInit['body'], headers: Headers): Buffer | null {
  if (body === undefined || body === null) return null;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof URLSearchParams) {
    if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
    return Buffer.from(body.toString());
  }
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('The outbound client sends string, URLSearchParams or byte bodies only');
}

function parseTarget(input: string | URL): URL {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch (cause) {
    throw new OutboundError('outbound_url_invalid', 'Not a URL', { url: String(input).slice(0, 200) }, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OutboundError('outbound_url_invalid', `Only http(s) URLs are fetched, not ${url.protocol}`, { url: url.href.slice(0, 200) });
  }
  if (url.username || url.password) {
    throw new OutboundError('outbound_url_invalid', 'URLs with credentials are not fetched', { origin: url.origin });
  }
  return url;
}

/**
 * Builds the guarded client.
 *
 * @throws (from the returned function) OutboundError `outbound_url_invalid`,
 *   `outbound_address_refused`, `outbound_unreachable`, `outbound_timeout`,
 *   `outbound_response_too_large`, `outbound_redirect_refused`; the caller's
 *   `signal.reason` when it aborts.
 */
export function createOutboundFetch(policy: OutboundPolicy): OutboundFetch {
  const connectTimeoutMs = policy.connectTimeoutMs ?? OUTBOUND_DEFAULTS.connectTimeoutMs;
  const defaultTimeoutMs = policy.timeoutMs ?? OUTBOUND_DEFAULTS.timeoutMs;
  const defaultMaxBytes = policy.maxResponseBytes ?? OUTBOUND_DEFAULTS.maxResponseBytes;
  const maxRedirects = policy.maxRedirects ?? OUTBOUND_DEFAULTS.maxRedirects;
  const resolve = policy.resolve ?? systemResolve;

  /** The addresses of `host`, every one allowed; throws when any is not. */
  async function checkedAddresses(url: URL, signal: AbortSignal): Promise<Array<{ address: string; family: number }>> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    let addresses: Array<{ address: string; family: number }>;
    if (net.isIP(host)) addresses = [{ address: host, family: net.isIP(host) }];
    else {
      try {
        addresses = await raceAbort(resolve(host), signal);
      } catch (cause) {
        if (signal.aborted) throw signal.reason;
        throw new OutboundError('outbound_unreachable', `${host} does not resolve`, { host, reason: (cause as NodeJS.ErrnoException).code ?? 'dns' }, { cause });
      }
    }
    if (addresses.length === 0) throw new OutboundError('outbound_unreachable', `${host} has no address`, { host, reason: 'dns' });
    // All of them: a name that also resolves to an internal address is refused outright
    // rather than trusted to pick the public one.
    for (const { address } of addresses) {
      if (!isAddressAllowed(address, policy)) {
        const kind = classifyAddress(address);
        throw new OutboundError('outbound_address_refused', `${host} is a ${kind.replace('_', '-')} address, which Sello does not connect to`, { host, address, kind });
      }
    }
    return addresses;
  }

  /** One request/answer on a fresh connection to a checked address. */
  async function exchange(params: { url: URL; method: string; headers: Headers; body: Buffer | null; signal: AbortSignal; maxBytes: number }): Promise<Answer> {
    const { url, method, body, maxBytes } = params;
    const local = new AbortController();
    const forward = () => local.abort(params.signal.reason);
    if (params.signal.aborted) forward();
    params.signal.addEventListener('abort', forward, { once: true });
    const connectTimer = setTimeout(
      () => local.abort(new OutboundError('outbound_timeout', `No connection to ${url.origin} within ${connectTimeoutMs} ms`, { origin: url.origin, phase: 'connect' })),
      connectTimeoutMs,
    );
    try {
      const [target] = await checkedAddresses(url, local.signal);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const secure = url.protocol === 'https:';
      const headers: Record<string, string> = { 'user-agent': `Sello/${VERSION}` };
      params.headers.forEach((value, name) => {
        if (!['host', 'connection', 'content-length', 'transfer-encoding'].includes(name)) headers[name] = value;
      });
      headers.host = url.host;
      if (body) headers['content-length'] = String(body.length);
      return await new Promise<Answer>((settle, fail) => {
        const failWith = (error: unknown) => {
          if (local.signal.aborted) fail(local.signal.reason);
          else if (error instanceof OutboundError) fail(error);
          else {
            const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
            fail(new OutboundError('outbound_unreachable', `${url.origin} did not answer over HTTP (${reason})`, { origin: url.origin, reason }, { cause: error }));
          }
        };
        const request = (secure ? https : http).request({
          host: target!.address,
          family: target!.family,
          port: url.port || (secure ? 443 : 80),
          path: `${url.pathname}${url.search}`,
          method,
          headers,
          // A fresh connection to the checked address: a pooled one could lead elsewhere.
          agent: false,
          signal: local.signal,
          ...(secure && !net.isIP(host) ? { servername: host } : {}),
        });
        request.on('socket', (socket) => socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer)));
        request.on('error', failWith);
        request.on('response', (response) => {
          clearTimeout(connectTimer);
          const tooLarge = () =>
            new OutboundError('outbound_response_too_large', `${url.origin} answered more than ${maxBytes} bytes`, { origin: url.origin, limit: maxBytes });
          const declared = Number(response.headers['content-length']);
          if (Number.isFinite(declared) && declared > maxBytes) {
            fail(tooLarge());
            request.destroy();
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) {
              fail(tooLarge());
              request.destroy();
            } else chunks.push(chunk);
          });
          response.on('error', failWith);
          response.on('close', () => {
            if (!response.complete) failWith(new Error('the connection closed before the answer was complete'));
          });
          response.on('end', () =>
            settle({ status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', rawHeaders: response.rawHeaders, body: Buffer.concat(chunks) }),
          );
        });
        request.end(body ?? undefined);
      });
    } finally {
      clearTimeout(connectTimer);
      params.signal.removeEventListener('abort', forward);
    }
  }

  function toResponse(answer: Answer, url: URL, method: string): Response {
    const headers = new Headers();
    for (let i = 0; i + 1 < answer.rawHeaders.length; i += 2) {
      try {
        headers.append(answer.rawHeaders[i]!, answer.rawHeaders[i + 1]!);
      } catch {
        // A header value fetch would refuse is dropped, as fetch drops it.
      }
    }
    let response: Response;
    try {
      response = new Response(NULL_BODY.has(answer.status) || method === 'HEAD' ? null : answer.body, {
        status: answer.status,
        statusText: answer.statusText,
        headers,
      });
    } catch (cause) {
      throw new OutboundError('outbound_unreachable', `${url.origin} answered with an invalid HTTP status`, { origin: url.origin, status: answer.status }, { cause });
    }
    Object.defineProperty(response, 'url', { value: url.href });
    return response;
  }

  const outboundFetch = async (input: string | URL | Request, init: OutboundRequestInit = {}): Promise<Response> => {
    if (typeof input !== 'string' && !(input instanceof URL)) throw new TypeError('The outbound client takes a URL, not a Request');
    const timeoutMs = Math.min(init.timeoutMs ?? defaultTimeoutMs, defaultTimeoutMs);
    const maxBytes = Math.min(init.maxResponseBytes ?? defaultMaxBytes, defaultMaxBytes);
    let url = parseTarget(input);
    const controller = new AbortController();
    const onCallerAbort = () => controller.abort(init.signal!.reason);
    if (init.signal?.aborted) throw init.signal.reason;
    init.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const deadline = setTimeout(
      () => controller.abort(new OutboundError('outbound_timeout', `${url.origin} did not answer within ${timeoutMs} ms`, { origin: url.origin, phase: 'total' })),
      timeoutMs,
    );
    try {
      const headers = new Headers(init.headers);
      let method = (init.method ?? 'GET').toUpperCase();
      let body = encodeBody(init.body, headers);
      for (let followed = 0; ; followed += 1) {
        const answer = await exchange({ url, method, headers, body, signal: controller.signal, maxBytes });
        const location = answer.rawHeaders.findIndex((name, i) => i % 2 === 0 && name.toLowerCase() === 'location');
        if (!REDIRECTS.has(answer.status) || location < 0 || init.redirect === 'manual') return toResponse(answer, url, method);
        let next: URL | null = null;
        try {
          next = new URL(answer.rawHeaders[location + 1]!, url);
        } catch {
          next = null;
        }
        if (init.redirect === 'error' || !next || next.origin !== url.origin) {
          throw new OutboundError('outbound_redirect_refused', `${url.origin} redirects to ${next ? next.origin : 'an invalid URL'}; only same-origin redirects are followed`, {
            origin: url.origin,
            location: next?.origin ?? null,
          });
        }
        if (followed >= maxRedirects) {
          throw new OutboundError('outbound_redirect_refused', `${url.origin} redirected more than ${maxRedirects} times`, { origin: url.origin, limit: maxRedirects });
        }
        // As fetch does: 303, and 301/302 after a POST, continue as a GET without body.
        if (answer.status === 303 || ((answer.status === 301 || answer.status === 302) && method === 'POST')) {
          method = 'GET';
          body = null;
          headers.delete('content-type');
        }
        url = next;
      }
    } catch (error) {
      if (controller.signal.aborted) throw controller.signal.reason;
      throw error;
    } finally {
      clearTimeout(deadline);
      init.signal?.removeEventListener('abort', onCallerAbort);
    }
  };
  Object.defineProperty(outboundFetch, GUARDED, { value: true });
  return outboundFetch as OutboundFetch;
}
