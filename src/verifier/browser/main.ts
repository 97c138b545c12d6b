/**
 * The verifier page's script (bundled by scripts/build-verifier.mjs into one file, or
 * inlined into the downloadable page). It reads the dropped file and runs Sello's own
 * verification (`verifyWithoutSello`, the code behind `sello verify`) in the browser;
 * this file only draws the page. Everything the credential says is shown as text, never
 * as markup: the file is untrusted.
 */
import en from '../../../views/locales/en.json' with { type: 'json' };
import es from '../../../views/locales/es.json' with { type: 'json' };
import { parseCaip10, readChainReference, type ChainReference } from '../../credentials/chain-reference.ts';
import type { DidDocument } from '../../credentials/did.ts';
import type { VerificationCheck, VerificationReport } from '../../credentials/verify.ts';
import { rpcSuggestions, type DeploymentChain } from '../public-rpc-endpoints.ts';
import { credentialFromFile, verifyWithoutSello } from '../verify-without-sello.ts';

type Locale = 'en' | 'es';
const catalogs: Record<Locale, Record<string, string>> = { en, es };

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const state: {
  locale: Locale;
  credential: Record<string, unknown> | null;
  report: VerificationReport | null;
  /** The RPC URL the page filled in itself: replaced when another credential names another chain. */
  suggestedRpc: string | null;
  run: number;
} = { locale: 'en', credential: null, report: null, suggestedRpc: null, run: 0 };

function t(key: string, vars: Record<string, unknown> = {}): string {
  const template = catalogs[state.locale][key] ?? catalogs.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

function has(key: string): boolean {
  return key in catalogs[state.locale] || key in catalogs.en;
}

function deployment(): DeploymentChain | null {
  const content = document.querySelector<HTMLMetaElement>('meta[name="sello-deployment"]')?.content;
  if (!content) return null;
  try {
    const parsed = JSON.parse(content) as Partial<DeploymentChain>;
    return typeof parsed.chainId === 'number' && typeof parsed.rpcUrl === 'string' ? { chainId: parsed.chainId, rpcUrl: parsed.rpcUrl } : null;
  } catch {
    return null;
  }
}

function initialLocale(): Locale {
  try {
    const saved = localStorage.getItem('sello_verifier_lang');
    if (saved === 'en' || saved === 'es') return saved;
  } catch {
    // Storage refused (private mode, file:// policies): follow the browser.
  }
  const preferred = (navigator.languages?.length ? navigator.languages : [navigator.language]).map((tag) => tag.toLowerCase().split('-')[0]);
  return (preferred.find((tag) => tag === 'en' || tag === 'es') as Locale | undefined) ?? 'en';
}

function setLocale(locale: Locale): void {
  state.locale = locale;
  document.documentElement.lang = locale;
  document.title = `${t('verifier.title')} · Sello`;
  for (const element of document.querySelectorAll<HTMLElement>('[data-i18n]')) element.textContent = t(element.dataset.i18n!);
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-lang]')) button.setAttribute('aria-pressed', String(button.dataset.lang === locale));
  if (state.report) renderReport(state.report);
}

function showInputError(message: string | null): void {
  const box = byId<HTMLParagraphElement>('input-error');
  box.textContent = message ?? '';
  box.hidden = message === null;
}

function suggestRpc(reference: ChainReference | null): void {
  const suggestions = rpcSuggestions(reference?.chainId ?? null, deployment());
  const list = byId<HTMLDataListElement>('rpc-suggestions');
  list.replaceChildren(...suggestions.map((url) => Object.assign(document.createElement('option'), { value: url })));
  const input = byId<HTMLInputElement>('rpc-url');
  // Fill the field only when the user has not typed an endpoint of their own.
  if (suggestions[0] && (input.value === '' || input.value === state.suggestedRpc)) {
    input.value = suggestions[0];
    state.suggestedRpc = suggestions[0];
  }
}

function rpcUrl(): string | null {
  const value = byId<HTMLInputElement>('rpc-url').value.trim();
  if (value === '') return null;
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.href;
  } catch {
    // Reported below.
  }
  throw new Error(t('verifier.rpc_invalid'));
}

function trustLists(): ChainReference[] {
  const lines = byId<HTMLTextAreaElement>('trust-lists').value.split(/\s+/).filter(Boolean);
  return lines.map((line) => {
    const parsed = parseCaip10(line);
    if (!parsed) throw new Error(t('verifier.trust_lists_invalid', { value: line }));
    return parsed;
  });
}

async function didDocument(): Promise<DidDocument | null> {
  const file = byId<HTMLInputElement>('did-document').files?.[0];
  if (!file) return null;
  try {
    return JSON.parse(await file.text()) as DidDocument;
  } catch {
    throw new Error(t('verifier.bad_did_document'));
  }
}

async function readFile(file: File): Promise<void> {
  state.credential = null;
  try {
    state.credential = credentialFromFile(new Uint8Array(await file.arrayBuffer()));
  } catch (error) {
    byId('result').hidden = true;
    // The error's own message is English and technical (an iTXt chunk): say it as the
    // /verify page does, in the page's language.
    const code = (error as { code?: unknown }).code;
    showInputError(t(code === 'invalid_baked_image' ? 'verify.error.not_baked' : 'verify.error.not_credential'));
    return;
  }
  suggestRpc(readChainReference(state.credential));
  byId('verify').hidden = false;
  await verify();
}

async function verify(): Promise<void> {
  if (!state.credential) return;
  const run = ++state.run;
  const button = byId<HTMLButtonElement>('verify');
  let options: { rpcUrl: string | null; trustLists: ChainReference[]; didDocument: DidDocument | null };
  try {
    options = { rpcUrl: rpcUrl(), trustLists: trustLists(), didDocument: await didDocument() };
    if (options.trustLists.length > 0 && !options.rpcUrl) throw new Error(t('verifier.rpc_help'));
  } catch (error) {
    // The verdict shown was for other inputs: it must not read as the answer to these.
    byId('result').hidden = true;
    showInputError((error as Error).message);
    return;
  }
  showInputError(null);
  button.disabled = true;
  byId('result').setAttribute('aria-busy', 'true');
  byId('status').textContent = t('verifier.verifying');
  document.body.dataset.state = 'verifying';
  try {
    const report = await verifyWithoutSello({ credential: state.credential, ...options });
    if (run !== state.run) return;
    state.report = report;
    renderReport(report);
    byId('status').textContent = t(report.verified ? 'verifier.verified' : 'verifier.not_verified');
    byId('result-heading').focus();
  } catch (error) {
    if (run === state.run) showInputError((error as Error).message);
  } finally {
    if (run === state.run) {
      button.disabled = false;
      byId('result').removeAttribute('aria-busy');
      document.body.dataset.state = 'done';
    }
  }
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

function nameOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  return value && typeof value === 'object' ? (text((value as { name?: unknown }).name) ?? text((value as { id?: unknown }).id)) : null;
}

/** A credential's date as the reader writes it (in UTC, so every reader sees the same day); the text as given when it is no date. */
function dateText(value: unknown): string | null {
  const given = text(value);
  const date = given === null ? null : new Date(given);
  if (!date || Number.isNaN(date.getTime())) return given;
  return new Intl.DateTimeFormat(state.locale, { dateStyle: 'long', timeZone: 'UTC' }).format(date);
}

function summaryRows(credential: Record<string, unknown>): Array<[string, string]> {
  const subject = (Array.isArray(credential.credentialSubject) ? credential.credentialSubject[0] : credential.credentialSubject) as
    | Record<string, unknown>
    | undefined;
  const reference = readChainReference(credential);
  const rows: Array<[string, string | null]> = [
    ['verifier.achievement', nameOf(subject?.achievement)],
    ['verifier.issuer', nameOf(credential.issuer)],
    ['verifier.recipient', text(subject?.name)],
    ['verifier.valid_from', dateText(credential.validFrom)],
    ['verifier.valid_until', dateText(credential.validUntil)],
    ['verifier.chain', reference ? `eip155:${reference.chainId}:${reference.contract}` : null],
  ];
  return rows.filter((row): row is [string, string] => row[1] !== null);
}

function checkState(check: VerificationCheck): 'passed' | 'failed' | 'skipped' {
  return check.skipped ? 'skipped' : check.valid ? 'passed' : 'failed';
}

/** Why a check failed or was skipped, in the reader's language where Sello has the words. */
function explanation(check: VerificationCheck): string {
  const parts: string[] = [];
  const message = text(check.details?.message);
  // Sello's words when it has them (this page's own first: what can be done here, not
  // with the CLI); the report's own message (English, with specifics) otherwise.
  if (check.error && has(`verifier.error.${check.error}`)) parts.push(t(`verifier.error.${check.error}`));
  else if (check.error && has(`cred.error.${check.error}`)) parts.push(t(`cred.error.${check.error}`));
  else if (check.error && message) parts.push(message);
  if (!check.error && check.id === 'trust_list' && message) parts.push(message);
  if (check.details?.keySource === 'chain') parts.push(t('verifier.key_from_chain'));
  if (check.details?.source === 'chain') parts.push(t('verifier.status_from_chain', { block: check.details.blockNumber }));
  return parts.join(' — ');
}

function renderReport(report: VerificationReport): void {
  const verdict = byId('verdict');
  verdict.className = `verdict ${report.verified ? 'ok' : 'bad'}`;
  verdict.dataset.verified = String(report.verified);
  byId('verdict-title').textContent = `${report.verified ? '✓' : '✗'} ${t(report.verified ? 'verifier.verified' : 'verifier.not_verified')}`;
  byId('verdict-body').textContent = t(report.verified ? 'verifier.verified_body' : 'verifier.not_verified_body');

  const summary = byId('summary');
  summary.replaceChildren(
    ...(state.credential ? summaryRows(state.credential) : []).flatMap(([key, value]) => [
      Object.assign(document.createElement('dt'), { textContent: t(key) }),
      Object.assign(document.createElement('dd'), { textContent: value }),
    ]),
  );

  byId('checks').replaceChildren(
    ...report.checks.map((check) => {
      const item = document.createElement('li');
      const checkStateName = checkState(check);
      item.dataset.checkId = check.id;
      item.dataset.state = checkStateName;
      item.dataset.valid = String(check.valid);
      if (check.error) item.dataset.error = check.error;
      const mark = Object.assign(document.createElement('span'), { className: 'mark', textContent: { passed: '✓', failed: '✗', skipped: '–' }[checkStateName] });
      mark.setAttribute('aria-hidden', 'true');
      const label = Object.assign(document.createElement('span'), { textContent: has(`cred.check.${check.id}`) ? t(`cred.check.${check.id}`) : check.id });
      const status = Object.assign(document.createElement('span'), { className: 'state', textContent: `: ${t(`verifier.${checkStateName}`)}` });
      const code = Object.assign(document.createElement('code'), { textContent: check.error ? ` ${check.id} (${check.error})` : ` ${check.id}` });
      item.append(mark, label, status, ' ', code);
      const why = explanation(check);
      if (why) item.append(Object.assign(document.createElement('span'), { className: 'why', textContent: why }));
      return item;
    }),
  );
  byId('credential-hash').textContent = report.credentialHash ?? '';
  byId('report-json').textContent = JSON.stringify(report, null, 2);
  byId('result').hidden = false;
}

function downloadReport(): void {
  if (!state.report) return;
  const blob = new Blob([`${JSON.stringify(state.report, null, 2)}\n`], { type: 'application/json' });
  const link = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: 'sello-verification-report.json' });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

function start(): void {
  setLocale(initialLocale());
  // WebCrypto (used by the JSON-LD canonicalisation) exists only in secure contexts:
  // https, localhost and files opened from disk.
  byId('insecure').hidden = window.isSecureContext;
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-lang]')) {
    button.addEventListener('click', () => {
      setLocale(button.dataset.lang === 'es' ? 'es' : 'en');
      try {
        localStorage.setItem('sello_verifier_lang', state.locale);
      } catch {
        // Not remembered: the switch still applies to this visit.
      }
    });
  }
  const fileInput = byId<HTMLInputElement>('credential-file');
  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    if (file) void readFile(file);
  });
  byId('form').addEventListener('submit', (event) => {
    event.preventDefault();
    if (state.credential) void verify();
    else fileInput.focus();
  });
  byId('download-report').addEventListener('click', downloadReport);

  const zone = byId('drop-zone');
  // The whole page accepts a drop, so a near miss does not open the file in the browser.
  document.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('dragging');
  });
  document.addEventListener('dragleave', (event) => {
    if (event.relatedTarget === null) zone.classList.remove('dragging');
  });
  document.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    const file = event.dataTransfer?.files?.[0];
    if (file) void readFile(file);
  });
  suggestRpc(null);
  document.body.dataset.state = 'ready';
}

start();
