/**
 * A minimal browser for LTI flows over real HTTP: a cookie jar per host:port (optionally
 * refusing third-party cookies, as Safari does in an LMS iframe), manual redirects, and
 * auto-submitting forms (OIDC form_post, Deep Linking return).
 */
export interface Page {
  url: string;
  status: number;
  headers: Headers;
  text: string;
}

export interface BrowserOptions {
  /** When true, Set-Cookie from `blockedHosts` is dropped (third-party cookies blocked). */
  blockCookiesFrom?: string[];
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", '#x3D': '=', '#x60': '`', '#x2F': '/' };
export function decodeHtml(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, name: string) => {
    if (entities[name] !== undefined) return entities[name]!;
    if (/^#x/i.test(name)) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (/^#\d/.test(name)) return String.fromCodePoint(Number(name.slice(1)));
    return whole;
  });
}

/** The first `<form>` of a page (or the one with `id`): its action, method and fields. */
export function parseForm(html: string, id?: string): { action: string; method: string; fields: Record<string, string> } {
  const forms = [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)];
  const match = id ? forms.find((f) => new RegExp(`id="${id}"`).test(f[1]!)) : forms[0];
  if (!match) throw new Error(`no form${id ? ` #${id}` : ''} in page: ${html.slice(0, 300)}`);
  const attr = (name: string) => decodeHtml(new RegExp(`${name}="([^"]*)"`, 'i').exec(match[1]!)?.[1] ?? '');
  const fields: Record<string, string> = {};
  for (const input of match[2]!.matchAll(/<input\b([^>]*)>/gi)) {
    const name = /name="([^"]*)"/i.exec(input[1]!)?.[1];
    if (name) fields[decodeHtml(name)] = decodeHtml(/value="([^"]*)"/i.exec(input[1]!)?.[1] ?? '');
  }
  // A select sends its selected option, or its first one, as a browser does.
  for (const select of match[2]!.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/gi)) {
    const name = /name="([^"]*)"/i.exec(select[1]!)?.[1];
    const options = [...select[2]!.matchAll(/<option\b([^>]*)>/gi)].map((o) => o[1]!);
    const chosen = options.find((o) => /\sselected\b/i.test(o)) ?? options[0];
    if (name && chosen !== undefined) fields[decodeHtml(name)] = decodeHtml(/value="([^"]*)"/i.exec(chosen)?.[1] ?? '');
  }
  return { action: attr('action'), method: (attr('method') || 'get').toLowerCase(), fields };
}

export function createBrowser(options: BrowserOptions = {}) {
  const jar = new Map<string, Map<string, string>>();
  const cookiesFor = (url: URL) => jar.get(url.host) ?? new Map<string, string>();

  function store(url: URL, response: Response) {
    if (options.blockCookiesFrom?.includes(url.host)) return;
    const cookies = cookiesFor(url);
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()));
      if (expired) cookies.delete(name);
      else cookies.set(name, value);
    }
    jar.set(url.host, cookies);
  }

  async function request(method: string, target: string, form?: Record<string, string>, headers: Record<string, string> = {}): Promise<Page> {
    let url = new URL(target);
    let currentMethod = method;
    let body: URLSearchParams | undefined = form ? new URLSearchParams(form) : undefined;
    for (let hops = 0; hops < 10; hops += 1) {
      const cookies = [...cookiesFor(url).entries()].map(([k, v]) => `${k}=${v}`).join('; ');
      const response = await fetch(url, {
        method: currentMethod,
        redirect: 'manual',
        headers: { accept: 'text/html', ...(cookies ? { cookie: cookies } : {}), ...headers },
        body,
      });
      store(url, response);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        url = new URL(location, url);
        if (response.status !== 307 && response.status !== 308) {
          currentMethod = 'GET';
          body = undefined;
        }
        await response.body?.cancel();
        continue;
      }
      return { url: url.href, status: response.status, headers: response.headers, text: await response.text() };
    }
    throw new Error('too many redirects');
  }

  return {
    jar,
    get: (url: string, headers?: Record<string, string>) => request('GET', url, undefined, headers),
    post: (url: string, form: Record<string, string>, headers?: Record<string, string>) => request('POST', url, form, headers),
    /** Submits the page's (first or `id`) form as a browser script would. */
    async submit(page: Page, id?: string, overrides: Record<string, string> = {}): Promise<Page> {
      const form = parseForm(page.text, id);
      const action = new URL(form.action || page.url, page.url).href;
      const fields = { ...form.fields, ...overrides };
      return form.method === 'post' ? request('POST', action, fields) : request('GET', `${action}?${new URLSearchParams(fields)}`);
    },
  };
}
export type Browser = ReturnType<typeof createBrowser>;

/** A response's JSON body, loosely typed for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function jsonOf(response: Response): Promise<any> {
  return response.json();
}
