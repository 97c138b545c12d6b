/**
 * `sello keys list|rotate|revoke [--issuer SLUG]`: the issuer signing keys. Through the
 * admin API of the running Sello (PUBLIC_URL, or --url, with ADMIN_TOKEN) when one
 * answers, else directly on the database. Only public keys are ever printed.
 */
import type { Command } from 'commander';
import { loadConfig, type Config } from '../../config.ts';
import { openDatabase } from '../../storage/database.ts';
import { migrate } from '../../storage/migrate.ts';
import { resolveSecrets } from '../../storage/secrets.ts';
import { createIssuerRepository, DEFAULT_ISSUER_SLUG } from '../../storage/issuer-repository.ts';
import { createIssuerKeyProvider, issuerKeyJson } from '../../issuance/issuer-keys.ts';
import { CredentialError } from '../../credentials/errors.ts';
import { callAdminApi } from '../admin-api.ts';

type KeyLine = ReturnType<typeof issuerKeyJson>;

function describe(key: KeyLine): string {
  const state = key.revoked ? `revoked ${key.revokedAt ?? ''}`.trim() : key.validUntil ? `closed ${key.validUntil}` : 'CURRENT';
  return `${key.keyId}  ${key.publicKeyMultibase}  from ${key.validFrom}  ${state}`;
}

/** Calls the running Sello's admin API; null when nothing answers there. */
async function callApi(params: { baseUrl: string; token: string; method: string; path: string; body?: unknown }) {
  const answer = await callAdminApi(params);
  if (!answer) return null;
  if (!answer.ok) {
    const code = typeof answer.body.code === 'string' ? ` ${answer.body.code}` : '';
    throw new CredentialError('issuer_key_not_found', `The Sello at ${params.baseUrl} answered ${answer.status}${code}: ${String(answer.body.message ?? '')}`);
  }
  return answer.body;
}

async function onDatabase<T>(config: Readonly<Config>, kek: Buffer, slug: string, work: (provider: ReturnType<typeof createIssuerKeyProvider>, issuerId: string) => Promise<T>) {
  const db = await openDatabase(config.database);
  try {
    await migrate(db);
    const issuer = await createIssuerRepository(db).findBySlug(slug);
    if (!issuer) throw new CredentialError('issuer_key_not_found', `No issuer "${slug}" (start Sello once to create the default issuer)`);
    return await work(createIssuerKeyProvider({ db, kek, publicUrl: config.publicUrl }), issuer.id);
  } finally {
    await db.close();
  }
}

export function register(program: Command): void {
  const keys = program.command('keys').description('Issuer signing keys (Ed25519): list, rotate and revoke');
  keys
    .command('list')
    .description('List the issuer keys with their validity (public keys only)')
    .option('--issuer <slug>', 'issuer slug', DEFAULT_ISSUER_SLUG)
    .option('--url <url>', 'a running Sello (default PUBLIC_URL)')
    .option('--json', 'print JSON')
    .action(async (options: { issuer: string; url?: string; json?: boolean }) => {
      const config = loadConfig(process.env);
      const secrets = resolveSecrets(config);
      const baseUrl = options.url ?? config.publicUrl;
      const answer = await callApi({ baseUrl, token: secrets.adminToken, method: 'GET', path: `/admin/api/issuers/${encodeURIComponent(options.issuer)}/keys` });
      const listed: KeyLine[] = answer
        ? (answer.keys as KeyLine[])
        : await onDatabase(config, secrets.keyEncryptionKey, options.issuer, async (provider, issuerId) => (await provider.list(issuerId)).map(issuerKeyJson));
      console.log(options.json ? JSON.stringify(listed, null, 2) : listed.length > 0 ? listed.map(describe).join('\n') : 'No keys yet (one is created at start).');
    });
  keys
    .command('rotate')
    .description('Make a new key current; old keys stay in the DID document so older credentials keep verifying')
    .option('--issuer <slug>', 'issuer slug', DEFAULT_ISSUER_SLUG)
    .option('--url <url>', 'a running Sello (default PUBLIC_URL)')
    .option('--reason <text>', 'why (kept in the audit log)', 'scheduled rotation')
    .action(async (options: { issuer: string; url?: string; reason: string }) => {
      const config = loadConfig(process.env);
      const secrets = resolveSecrets(config);
      const baseUrl = options.url ?? config.publicUrl;
      const answer = await callApi({ baseUrl, token: secrets.adminToken, method: 'POST', path: `/admin/api/issuers/${encodeURIComponent(options.issuer)}/keys/rotate`, body: { reason: options.reason } });
      const created: KeyLine = answer
        ? (answer.key as KeyLine)
        : await onDatabase(config, secrets.keyEncryptionKey, options.issuer, async (provider, issuerId) => {
            await provider.ensureKey(issuerId);
            return issuerKeyJson(await provider.rotate(issuerId, { actor: 'cli', reason: options.reason }));
          });
      console.log(`Rotated. New current key: ${describe(created)}`);
    });
  keys
    .command('revoke <keyId>')
    .description('Revoke a key that is no longer current (rotate first): every credential it signed then fails verification')
    .requiredOption('--reason <text>', 'why (kept in the audit log)')
    .option('--issuer <slug>', 'issuer slug', DEFAULT_ISSUER_SLUG)
    .option('--url <url>', 'a running Sello (default PUBLIC_URL)')
    .action(async (keyId: string, options: { issuer: string; url?: string; reason: string }) => {
      const config = loadConfig(process.env);
      const secrets = resolveSecrets(config);
      const baseUrl = options.url ?? config.publicUrl;
      const answer = await callApi({
        baseUrl,
        token: secrets.adminToken,
        method: 'POST',
        path: `/admin/api/issuers/${encodeURIComponent(options.issuer)}/keys/revoke`,
        body: { keyId, reason: options.reason },
      });
      // On the database, the chain registry hears of it at Sello's next start or anchor.
      const revoked = answer
        ? { key: answer.key as KeyLine, changed: answer.changed === true }
        : await onDatabase(config, secrets.keyEncryptionKey, options.issuer, async (provider, issuerId) => {
            const result = await provider.revoke(issuerId, { keyId, reason: options.reason, actor: 'cli' });
            return { key: issuerKeyJson(result.key), changed: result.changed };
          });
      console.log(`${revoked.changed ? 'Revoked' : 'Already revoked'}: ${describe(revoked.key)}`);
    });
}
