/**
 * `sello platforms add|list|approve|disable|reject|invite|connector`: manage LMS registrations through the
 * admin API of the running Sello (PUBLIC_URL, or --url) with ADMIN_TOKEN; when no Sello
 * answers, directly on the database.
 */
import type { Command } from 'commander';
import { loadConfig, type Config } from '../../config.ts';
import { createLogger } from '../../logger.ts';
import { openDatabase, type Database } from '../../storage/database.ts';
import { migrate } from '../../storage/migrate.ts';
import { resolveSecrets, type Secrets } from '../../storage/secrets.ts';
import { createOutcomeSecretRepository } from '../../storage/outcome-secret-repository.ts';
import { hasCode } from '../../errors.ts';
import { createLti } from '../../lti/provider.ts';
import { LtiError } from '../../lti/errors.ts';
import { manualRegistration, platformInputSchema } from '../../lti/platform-registry.ts';
import { toolEndpoints } from '../../lti/tool-configuration.ts';
import { DEFAULT_INVITE_HOURS, type RegistrationInviteLink } from '../../lti/registration-invites.ts';
import type { RegistrationRequest } from '../../storage/registration-request-repository.ts';
import { createPlatformRepository, type Platform } from '../../storage/platform-repository.ts';
import { createPageRenderer } from '../../web/views.ts';
import { connectorSchema } from '../../web/admin/outcome-sources.ts';
import { callAdminApi, type AdminApiAnswer } from '../admin-api.ts';

interface AddOptions {
  issuer: string;
  clientId: string;
  authUrl: string;
  tokenUrl: string;
  jwksUrl: string;
  deploymentId?: string;
  name?: string;
  url?: string;
}

type ApiAnswer = AdminApiAnswer | null;

/** Calls the running Sello's platform admin API; null when nothing answers there. */
function callApi(baseUrl: string, token: string, method: string, path: string, body?: unknown): Promise<ApiAnswer> {
  return callAdminApi({ baseUrl, token, method, path: `/admin/api/platforms${path}`, body });
}

function failFromApi(answer: NonNullable<ApiAnswer>, baseUrl: string): never {
  if (answer.status === 401) {
    throw new LtiError('lti_service_unauthorized', `The Sello at ${baseUrl} refused the admin token: set ADMIN_TOKEN to its token`);
  }
  const code = String(answer.body.code ?? 'lti_service_failed');
  if (code === 'platform_not_found') throw new LtiError('platform_not_found', String(answer.body.message ?? 'No such platform'));
  const problems = (answer.body.details as { problems?: string[] } | undefined)?.problems;
  const message = `${String(answer.body.message ?? `HTTP ${answer.status}`)}${problems ? `: ${problems.join('; ')}` : ''}`;
  throw new LtiError((code.startsWith('invalid_') ? 'invalid_platform' : 'lti_service_failed') as 'invalid_platform', message);
}

/** Runs `work` on the database itself (no Sello answered). */
async function onDatabase<T>(
  config: Readonly<Config>,
  baseUrl: string,
  work: (lti: Awaited<ReturnType<typeof createLti>>, db: Database, secrets: Secrets) => Promise<T>,
): Promise<T> {
  let db;
  try {
    db = await openDatabase(config.database);
  } catch (error) {
    if (hasCode(error, 'database_locked')) {
      throw new LtiError(
        'lti_service_unavailable',
        `A running Sello holds the embedded database but did not answer at ${baseUrl}. Pass --url with the address it listens on ` +
          '(or set PUBLIC_URL), or stop it and run this command again.',
      );
    }
    throw error;
  }
  try {
    await migrate(db);
    const secrets = resolveSecrets(config);
    const lti = await createLti({
      db,
      config,
      keyEncryptionKey: secrets.keyEncryptionKey,
      log: createLogger({ level: 'silent' }),
      pages: createPageRenderer(),
      purgeIntervalMs: 0,
    });
    try {
      return await work(lti, db, secrets);
    } finally {
      await lti.close();
    }
  } finally {
    await db.close();
  }
}

function printPlatform(p: Platform | Record<string, unknown>): void {
  const platform = p as Platform;
  console.log(`${platform.id}  ${platform.status.padEnd(8)}  ${platform.iss}  client ${platform.clientId}  deployments ${(platform.deploymentIds ?? []).join(',') || '-'}`);
}

function printRequest(r: RegistrationRequest): void {
  console.log(`${r.id}  request   ${r.iss}  client ${r.clientId}  from ${r.openidConfigurationUrl}  replaces ${r.replacesPlatformId ?? '-'}`);
}

export function register(program: Command): void {
  const platforms = program.command('platforms').description('LMS platforms (Moodle, Canvas) Sello accepts launches from');

  platforms
    .command('add')
    .description('Register an LMS by hand (what its LTI 1.3 tool settings page shows)')
    .requiredOption('--issuer <url>', 'platform issuer (Moodle: its site URL; Canvas: https://canvas.instructure.com)')
    .requiredOption('--client-id <id>', 'client id the LMS gave Sello')
    .requiredOption('--auth-url <url>', 'OIDC authentication request URL')
    .requiredOption('--token-url <url>', 'OAuth2 access token URL')
    .requiredOption('--jwks-url <url>', 'platform public keyset URL')
    .option('--deployment-id <id>', 'deployment id (recorded at first launch when omitted)')
    .option('--name <name>', 'a name for the admin list')
    .option('--url <url>', 'the running Sello to talk to (default PUBLIC_URL)')
    .action(async (options: AddOptions) => {
      const config = loadConfig(process.env);
      const parsed = platformInputSchema.safeParse({
        issuer: options.issuer,
        clientId: options.clientId,
        authUrl: options.authUrl,
        tokenUrl: options.tokenUrl,
        jwksUrl: options.jwksUrl,
        deploymentId: options.deploymentId,
        name: options.name,
      });
      if (!parsed.success) {
        throw new LtiError('invalid_platform', `Invalid platform: ${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}`);
      }
      const baseUrl = (options.url ?? config.publicUrl).replace(/\/+$/, '');
      const token = config.secrets.adminToken ?? resolveSecrets(config).adminToken;
      const answer = await callApi(baseUrl, token, 'POST', '', parsed.data);
      let platform: Platform | Record<string, unknown>;
      if (answer) {
        if (answer.status !== 201) failFromApi(answer, baseUrl);
        platform = answer.body.platform as Record<string, unknown>;
        console.log(`Registered through the running Sello at ${baseUrl}:`);
      } else {
        platform = await onDatabase(config, baseUrl, (lti) => lti.registry.register(manualRegistration(parsed.data, 'cli')));
        console.log('Registered directly in the database (no Sello answered):');
      }
      printPlatform(platform);
      const e = toolEndpoints(config.publicUrl);
      console.log(`In the LMS, Sello's URLs are: login ${e.login}, launch/redirect ${e.launch}, keyset ${e.jwks}`);
    });

  platforms
    .command('list')
    .description('List registered platforms')
    .option('--url <url>', 'the running Sello to talk to (default PUBLIC_URL)')
    .action(async (options: { url?: string }) => {
      const config = loadConfig(process.env);
      const baseUrl = (options.url ?? config.publicUrl).replace(/\/+$/, '');
      const token = config.secrets.adminToken ?? resolveSecrets(config).adminToken;
      const answer = await callApi(baseUrl, token, 'GET', '');
      if (answer && answer.status !== 200) failFromApi(answer, baseUrl);
      const [list, requests] = answer
        ? [answer.body.platforms as Platform[], (answer.body.requests as RegistrationRequest[] | undefined) ?? []]
        : await onDatabase(config, baseUrl, async (lti) => [await lti.registry.list(), await lti.registry.listRequests()] as const);
      if (list.length === 0) console.log('No platforms registered yet.');
      for (const platform of list) printPlatform(platform);
      if (requests.length > 0) {
        console.log('Registrations for known LMSs waiting for approval (approve <id> replaces the LMS they name, reject <id> drops them):');
        for (const request of requests) printRequest(request);
      }
    });

  platforms
    .command('invite')
    .description('Make a one-time registration link: the LMS registration it completes is approved at once')
    .option('--hours <hours>', `how long the link works (default ${DEFAULT_INVITE_HOURS})`)
    .option('--url <url>', 'the running Sello to talk to (default PUBLIC_URL)')
    .action(async (options: { hours?: string; url?: string }) => {
      const config = loadConfig(process.env);
      const hours = options.hours === undefined ? undefined : Number(options.hours);
      if (hours !== undefined && !(hours > 0)) throw new LtiError('invalid_invite', `--hours must be a positive number, not "${options.hours}"`);
      const baseUrl = (options.url ?? config.publicUrl).replace(/\/+$/, '');
      const token = config.secrets.adminToken ?? resolveSecrets(config).adminToken;
      const answer = await callApi(baseUrl, token, 'POST', '/invites', hours === undefined ? {} : { hours });
      if (answer && answer.status !== 201) failFromApi(answer, baseUrl);
      const invite = answer
        ? (answer.body.invite as RegistrationInviteLink)
        : await onDatabase(config, baseUrl, (lti) => lti.invites.create({ createdBy: 'cli', hours }));
      console.log('Paste this URL into the LMS as the tool registration URL (Moodle: Tool URL; Canvas: Dynamic Registration URL).');
      console.log(`It works once, until ${new Date(invite.expiresAt).toISOString()}, and the registration it completes is active at once:`);
      console.log(invite.url);
    });

  platforms
    .command('connector <id>')
    .description("Set the LMS web services connector that reads every activity's grades (Moodle token, Canvas API token)")
    .requiredOption('--kind <kind>', 'moodle or canvas')
    .requiredOption('--base-url <url>', "the LMS site root, e.g. https://moodle.uni.edu")
    .requiredOption('--token <token>', 'the Moodle web services token, or the Canvas API access token')
    .option('--url <url>', 'the running Sello to talk to (default PUBLIC_URL)')
    .action(async (id: string, options: { kind: string; baseUrl: string; token: string; url?: string }) => {
      const config = loadConfig(process.env);
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
        throw new LtiError('invalid_platform', `"${id}" is not a platform id (see sello platforms list)`);
      }
      const parsed = connectorSchema.safeParse({ kind: options.kind, baseUrl: options.baseUrl, token: options.token });
      if (!parsed.success) {
        const flag: Record<string, string> = { kind: '--kind', baseUrl: '--base-url', token: '--token' };
        throw new LtiError('invalid_platform', `Invalid connector: ${parsed.error.issues.map((i) => `${flag[String(i.path[0])] ?? i.path.join('.')}: ${i.message}`).join('; ')}`);
      }
      const baseUrl = (options.url ?? config.publicUrl).replace(/\/+$/, '');
      const token = config.secrets.adminToken ?? resolveSecrets(config).adminToken;
      const answer = await callApi(baseUrl, token, 'PUT', `/${encodeURIComponent(id)}/connector`, parsed.data);
      if (answer && answer.status !== 200) {
        if (answer.status === 404) throw new LtiError('platform_not_found', `No platform ${id} (see sello platforms list)`);
        failFromApi(answer, baseUrl);
      }
      if (!answer) {
        await onDatabase(config, baseUrl, async (_lti, db, secrets) => {
          if (!(await createPlatformRepository(db).findById(id))) throw new LtiError('platform_not_found', `No platform ${id} (see sello platforms list)`);
          await createOutcomeSecretRepository({ db, kek: secrets.keyEncryptionKey }).setConnector({ platformId: id, ...parsed.data });
        });
      }
      console.log(`${answer ? 'Set through the running Sello' : 'Set directly in the database'}: ${parsed.data.kind} connector ${parsed.data.baseUrl} for platform ${id} (token stored encrypted).`);
      console.log(`Sync a course to try it: npx sello sync --context <course id>`);
    });

  const descriptions = {
    approve: 'Let a pending (or disabled) platform launch Sello, or approve a registration request (it replaces the LMS it names)',
    disable: 'Stop a platform from launching Sello',
    reject: 'Drop a registration request for a known LMS (the LMS stays as it is)',
  };
  for (const action of ['approve', 'disable', 'reject'] as const) {
    platforms
      .command(`${action} <id>`)
      .description(descriptions[action])
      .option('--url <url>', 'the running Sello to talk to (default PUBLIC_URL)')
      .action(async (id: string, options: { url?: string }) => {
        const config = loadConfig(process.env);
        if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
          throw new LtiError('invalid_platform', `"${id}" is not a platform id (see sello platforms list)`);
        }
        const baseUrl = (options.url ?? config.publicUrl).replace(/\/+$/, '');
        const token = config.secrets.adminToken ?? resolveSecrets(config).adminToken;
        const answer = await callApi(baseUrl, token, 'POST', `/${encodeURIComponent(id)}/${action}`);
        if (answer && answer.status !== 200) failFromApi(answer, baseUrl);
        if (action === 'reject') {
          printRequest(answer ? (answer.body.request as RegistrationRequest) : await onDatabase(config, baseUrl, (lti) => lti.registry.reject(id, 'cli')));
          return;
        }
        const platform = answer
          ? (answer.body.platform as Platform)
          : await onDatabase(config, baseUrl, (lti) => (action === 'approve' ? lti.registry.approve(id, 'cli') : lti.registry.setStatus(id, 'disabled')));
        printPlatform(platform);
      });
  }
}
