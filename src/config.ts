/**
 * Sello's settings: read once from the environment, validated, frozen and passed down.
 * Nothing else in Sello reads `process.env`.
 *
 * Every setting has an embedded default so that `npm start` runs with no configuration;
 * production deployments set `NODE_ENV=production`, which makes secrets mandatory.
 */
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.ts';

const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const positiveInt = z.coerce.number().int().positive();

/** express's names for address ranges (https://expressjs.com/en/guide/behind-proxies.html). */
const proxyRangeNames = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** One `TRUST_PROXY` list entry: a range name, an address, or an address/prefix-length. */
function isProxyAddress(entry: string): boolean {
  if (proxyRangeNames.has(entry)) return true;
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Which peers may tell Sello the client's address (X-Forwarded-For), as express's
 * `trust proxy`: `false` (none), a hop count, or addresses/CIDRs/range names. `true`
 * (believe anyone) is refused: every client could then pick its own address.
 */
const trustProxy = z
  .string()
  .trim()
  .transform((value, ctx): false | number | string[] => {
    if (value === 'false' || value === '0') return false;
    if (/^\d+$/.test(value)) return Number(value);
    const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
    const bad = entries.filter((entry) => !isProxyAddress(entry));
    if (value === 'true' || entries.length === 0 || bad.length > 0) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message:
          value === 'true'
            ? '`true` would let every client choose its own address; give the hop count or the proxies\' addresses'
            : `must be false, a hop count, or a comma-separated list of addresses, CIDRs, loopback, linklocal or uniquelocal (bad: ${bad.join(', ') || value})`,
      });
      return z.NEVER;
    }
    return entries;
  });
const nonNegativeInt = z.coerce.number().int().nonnegative();

/** Each variable Sello reads, its validation and its default. README's table mirrors this. */
const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  TRUST_PROXY: trustProxy.optional(),
  PUBLIC_URL: z.string().url().optional(),
  SELLO_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  DATABASE_POOL_MAX: positiveInt.default(10),
  // Statements with parameters are prepared once per connection; false for a connection
  // pooler that cannot keep them (PgBouncer in transaction mode before 1.21).
  DATABASE_PREPARED_STATEMENTS: booleanString.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'must look like 512kb or 2mb')
    .default('2mb'),
  ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  SELLO_KEK: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$|^[0-9a-fA-F]{64}$/, 'must be 32 bytes, base64 (44 chars) or hex (64 chars)')
    .optional(),
  DEFAULT_LOCALE: z.enum(['en', 'es']).default('en'),

  ISSUER_NAME: z.string().min(1).default('Sello'),
  ISSUER_URL: z.string().url().optional(),
  ISSUER_EMAIL: z.string().email().optional(),
  ISSUER_IMAGE: z.string().url().optional(),
  ISSUER_DESCRIPTION: z.string().optional(),
  ISSUER_DID_METHOD: z.enum(['web', 'key']).default('web'),

  CHAIN_RPC_URL: z.string().url().optional(),
  CHAIN_ID: positiveInt.optional(),
  CHAIN_SIGNER_KEY: z
    .string()
    .regex(/^(0x)?[0-9a-fA-F]{64}$/, 'must be a 32-byte hex private key')
    .optional(),
  CHAIN_SIGNER_KEY_FILE: z.string().optional(),
  CHAIN_CONTRACT_ADDRESS: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed address')
    .optional(),
  CHAIN_CONFIRMATIONS: nonNegativeInt.optional(),
  CHAIN_MAX_GAS_PRICE_GWEI: z.coerce.number().positive().default(200),
  CHAIN_LOW_BALANCE_ETH: z.coerce.number().nonnegative().default(0.05),
  /** A block explorer's base URL (`https://sepolia.etherscan.io`): the credential page links `…/tx/<hash>`. */
  CHAIN_EXPLORER_URL: z.string().url().regex(/^https?:\/\//, 'must be an http(s) URL').optional(),
  // Consortium trust lists (contracts/TrustList.sol) the admin page shows this deployment's
  // issuer DIDs on: comma-separated CAIP-10 addresses `eip155:<chainId>:<0x address>`.
  TRUST_LISTS: z
    .string()
    .transform((value) => [...new Set(value.split(',').map((entry) => entry.trim()).filter(Boolean))])
    .pipe(z.array(z.string().regex(/^eip155:\d{1,18}:0x[0-9a-fA-F]{40}$/, 'must be comma-separated CAIP-10 addresses such as eip155:11155111:0x…(40 hex digits)')))
    .optional(),
  ANCHOR_BATCH_SIZE: z.coerce.number().int().min(1).max(2000).default(100),
  ANCHOR_BATCH_MAX_WAIT_S: z.coerce.number().positive().default(60),

  LTI_DYNREG_AUTO_APPROVE: booleanString.optional(),
  // The demo at /demo (a sandbox LMS inside Sello): on by default only for a first trial.
  DEMO: booleanString.optional(),
  // Origins (scheme, host, optional port; `*.` allowed first) that may frame the LMS pages
  // besides the active platforms' own, e.g. a Canvas instance on a custom domain.
  LTI_FRAME_ANCESTORS: z
    .string()
    .transform((value) => value.split(/[\s,]+/).filter(Boolean))
    .pipe(z.array(z.string().regex(/^https?:\/\/(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:\d{1,5})?$/i, 'must be origins such as https://canvas.uni.example, separated by spaces')))
    .optional(),
  OUTBOUND_ALLOW_PRIVATE: booleanString.optional(),
  OUTCOMES_SYNC_INTERVAL_S: positiveInt.default(600),
  ISSUANCE_WORKERS: positiveInt.default(4),
  ISSUANCE_MAX_ATTEMPTS: positiveInt.default(8),
  // How long a claimed issuance job stays claimed; a dead process's jobs are taken over after it.
  ISSUANCE_LEASE_S: positiveInt.default(300),
  // Verification of submitted credentials and presentations (POST /credentials/verify,
  // /presentations/verify): worker threads (default one per core), the deadline
  // of one verification, and requests per minute per client (0: no limit).
  VERIFY_WORKERS: positiveInt.max(64).optional(),
  VERIFY_TIMEOUT_S: z.coerce.number().positive().max(600).default(10),
  // What a submitted verification may take, queue wait included: work the pool expects
  // to finish later is refused at once (503 with Retry-After) instead of waiting in line.
  VERIFY_REQUEST_DEADLINE_MS: positiveInt.max(600_000).default(200),
  VERIFY_RATE_LIMIT: nonNegativeInt.default(60),
  // How many nice steps below the event loop thread the verification workers run (Linux):
  // the thread that answers every request preempts busy workers. Off by default: under
  // overload the event loop's refusals then starve the workers (bench/JOURNAL.md, issue 15).
  VERIFY_WORKER_NICE: nonNegativeInt.max(19).default(0),
  // Workers start with the first verification and stop after this many seconds without
  // one (each holds 50-60 MB); 0 starts them all with the server and keeps them.
  VERIFY_WORKER_IDLE_S: nonNegativeInt.max(86_400).default(300),
  // Test hook of the issuance pipeline (crash tests kill a child Sello at this step);
  // honoured only when NODE_ENV=test.
  SELLO_TEST_CRASH_AT: z.enum(['after_award', 'after_sign', 'after_signed', 'after_post', 'after_posted']).optional(),
});

export type DatabaseSettings =
  | { kind: 'embedded'; dataDir: string | null }
  | { kind: 'postgres'; url: string; poolMax: number; /** Default true (see `createStatementNames`). */ preparedStatements?: boolean };

export type ChainSettings =
  | { kind: 'embedded' }
  | {
      kind: 'rpc';
      url: string;
      chainId: number | null;
      signerKey: string | null;
      signerKeyFile: string | null;
      contractAddress: string | null;
    };

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  /**
   * express's `trust proxy`: which peers' X-Forwarded-For names the client (`req.ip`, the
   * rate limits' key). `false` unless set, so no client can choose its own address.
   */
  trustProxy: false | number | string[];
  /** Base of every absolute link Sello emits, without a trailing slash. */
  publicUrl: string;
  dataDir: string;
  database: DatabaseSettings;
  logLevel: string;
  bodyLimit: string;
  /** Given secrets; when null, embedded mode generates and stores them (see storage/secrets). */
  secrets: { adminToken: string | null; keyEncryptionKey: Buffer | null };
  defaultLocale: 'en' | 'es';
  issuer: {
    name: string;
    url: string;
    email: string | null;
    image: string | null;
    description: string | null;
    didMethod: 'web' | 'key';
  };
  chain: ChainSettings & {
    confirmations: number;
    maxGasPriceGwei: number;
    lowBalanceEth: number;
    /** Base URL of a block explorer for transaction links; null when none is configured. */
    explorerUrl: string | null;
    anchorBatchSize: number;
    anchorBatchMaxWaitS: number;
    /** `TRUST_LISTS`: CAIP-10 addresses of trust lists shown on /admin/trust-lists; empty when none. */
    trustLists: string[];
  };
  lti: { dynamicRegistrationAutoApprove: boolean; frameAncestors: string[] };
  /**
   * `/demo`: a sandbox LMS mounted in Sello, registered as an active platform, with one
   * course to try the whole flow in a browser. On by default with the embedded database
   * and chain in development; `DEMO=1` elsewhere (production included), `DEMO=0` off.
   */
  demo: boolean;
  /**
   * Sello's outbound HTTP (src/outbound): whether loopback and private addresses may be
   * reached. Link-local (cloud metadata), multicast and reserved addresses never are.
   */
  outbound: { allowPrivate: boolean };
  outcomes: { syncIntervalS: number };
  /** `workers` null: one per core (see `defaultVerificationWorkers`). */
  verification: { workers: number | null; timeoutMs: number; requestDeadlineMs: number; rateLimitPerMinute: number; workerNice: number; workerIdleMs: number | null };
  issuance: { workers: number; maxAttempts: number; leaseS: number; testCrashAt: 'after_award' | 'after_sign' | 'after_signed' | 'after_post' | 'after_posted' | null };
}

/** Turns `SELLO_KEK` (base64 or hex) into its 32 bytes. */
function decodeKek(value: string): Buffer {
  return /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
}

/**
 * Validates the environment and returns frozen, typed settings.
 *
 * @throws ConfigError `invalid_config` naming every bad variable and why.
 */
export function loadConfig(env: Record<string, string | undefined> = {}): Readonly<Config> {
  // Empty strings mean "unset": that is how most shells and .env files leave a variable.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError('invalid_config', `Invalid configuration: ${problems.join('; ')}`, { problems });
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const missing: string[] = [];
  if (production && !e.ADMIN_TOKEN) missing.push('ADMIN_TOKEN: required when NODE_ENV=production');
  if (production && !e.SELLO_KEK) missing.push('SELLO_KEK: required when NODE_ENV=production');
  if (production && !e.PUBLIC_URL) missing.push('PUBLIC_URL: required when NODE_ENV=production');
  if (e.CHAIN_RPC_URL && !e.CHAIN_SIGNER_KEY && !e.CHAIN_SIGNER_KEY_FILE) {
    missing.push('CHAIN_SIGNER_KEY: required (or CHAIN_SIGNER_KEY_FILE) when CHAIN_RPC_URL is set');
  }
  if (missing.length > 0) {
    throw new ConfigError('invalid_config', `Invalid configuration: ${missing.join('; ')}`, { problems: missing });
  }

  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const dataDir = path.resolve(e.SELLO_DATA_DIR);
  const embeddedDb = !e.DATABASE_URL;
  const config: Config = {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    trustProxy: e.TRUST_PROXY ?? false,
    publicUrl,
    dataDir,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX, preparedStatements: e.DATABASE_PREPARED_STATEMENTS ?? true }
      : { kind: 'embedded', dataDir: path.join(dataDir, 'pg') },
    logLevel: e.LOG_LEVEL,
    bodyLimit: e.BODY_LIMIT,
    secrets: {
      adminToken: e.ADMIN_TOKEN ?? null,
      keyEncryptionKey: e.SELLO_KEK ? decodeKek(e.SELLO_KEK) : null,
    },
    defaultLocale: e.DEFAULT_LOCALE,
    issuer: {
      name: e.ISSUER_NAME,
      url: e.ISSUER_URL ?? publicUrl,
      email: e.ISSUER_EMAIL ?? null,
      image: e.ISSUER_IMAGE ?? null,
      description: e.ISSUER_DESCRIPTION ?? null,
      didMethod: e.ISSUER_DID_METHOD,
    },
    chain: {
      ...(e.CHAIN_RPC_URL
        ? {
            kind: 'rpc' as const,
            url: e.CHAIN_RPC_URL,
            chainId: e.CHAIN_ID ?? null,
            signerKey: e.CHAIN_SIGNER_KEY ?? null,
            signerKeyFile: e.CHAIN_SIGNER_KEY_FILE ?? null,
            contractAddress: e.CHAIN_CONTRACT_ADDRESS ?? null,
          }
        : { kind: 'embedded' as const }),
      confirmations: e.CHAIN_CONFIRMATIONS ?? (e.CHAIN_RPC_URL ? 2 : 0),
      maxGasPriceGwei: e.CHAIN_MAX_GAS_PRICE_GWEI,
      lowBalanceEth: e.CHAIN_LOW_BALANCE_ETH,
      explorerUrl: e.CHAIN_EXPLORER_URL ? e.CHAIN_EXPLORER_URL.replace(/\/+$/, '') : null,
      anchorBatchSize: e.ANCHOR_BATCH_SIZE,
      anchorBatchMaxWaitS: e.ANCHOR_BATCH_MAX_WAIT_S,
      trustLists: e.TRUST_LISTS ?? [],
    },
    // Off everywhere: /lti/register needs no login, so an anonymous registration must wait for
    // an administrator. One-time invite links (`sello platforms invite`) are the quick path.
    lti: { dynamicRegistrationAutoApprove: e.LTI_DYNREG_AUTO_APPROVE ?? false, frameAncestors: e.LTI_FRAME_ANCESTORS ?? [] },
    // Only the embedded defaults of `npm start` (development, embedded database and chain)
    // show the demo unasked: a deployment has real platforms and must not grow a fake one.
    demo: e.DEMO ?? (e.NODE_ENV === 'development' && embeddedDb && !e.CHAIN_RPC_URL),
    // A first trial (embedded database, not production) talks to an LMS on the same
    // machine or network; any other deployment reaches only public addresses unless told.
    outbound: { allowPrivate: e.OUTBOUND_ALLOW_PRIVATE ?? (embeddedDb && !production) },
    outcomes: { syncIntervalS: e.OUTCOMES_SYNC_INTERVAL_S },
    verification: {
      workers: e.VERIFY_WORKERS ?? null,
      timeoutMs: Math.round(e.VERIFY_TIMEOUT_S * 1000),
      requestDeadlineMs: e.VERIFY_REQUEST_DEADLINE_MS,
      rateLimitPerMinute: e.VERIFY_RATE_LIMIT,
      workerNice: e.VERIFY_WORKER_NICE,
      workerIdleMs: e.VERIFY_WORKER_IDLE_S > 0 ? e.VERIFY_WORKER_IDLE_S * 1000 : null,
    },
    issuance: {
      workers: e.ISSUANCE_WORKERS,
      maxAttempts: e.ISSUANCE_MAX_ATTEMPTS,
      leaseS: e.ISSUANCE_LEASE_S,
      testCrashAt: e.NODE_ENV === 'test' ? (e.SELLO_TEST_CRASH_AT ?? null) : null,
    },
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
