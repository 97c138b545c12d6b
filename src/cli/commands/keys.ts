/**
 * `sello keys list|rotate [--issuer SLUG]`: the issuer signing keys, straight from the
 * database (stop an embedded-database server first; with PostgreSQL it can run).
 * Only public keys are ever printed.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { openDatabase } from '../../storage/database.ts';
import { migrate } from '../../storage/migrate.ts';
import { resolveSecrets } from '../../storage/secrets.ts';
import { createIssuerRepository, DEFAULT_ISSUER_SLUG } from '../../storage/issuer-repository.ts';
import { createIssuerKeyProvider, type IssuerKeyInfo } from '../../issuance/issuer-keys.ts';
import { CredentialError } from '../../credentials/errors.ts';

function describe(key: IssuerKeyInfo): string {
  const state = key.revoked ? 'revoked' : key.validUntil ? `closed ${key.validUntil.toISOString()}` : 'CURRENT';
  return `${key.keyId}  ${key.publicKeyMultibase}  from ${key.validFrom.toISOString()}  ${state}`;
}

async function withKeys<T>(issuerSlug: string, work: (params: { keys: ReturnType<typeof createIssuerKeyProvider>; issuerId: string }) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env);
  const secrets = resolveSecrets(config);
  const db = await openDatabase(config.database);
  try {
    await migrate(db);
    const issuer = await createIssuerRepository(db).findBySlug(issuerSlug);
    if (!issuer) throw new CredentialError('invalid_did', `No issuer "${issuerSlug}" (start Sello once to create the default issuer)`);
    const keys = createIssuerKeyProvider({ db, kek: secrets.keyEncryptionKey, publicUrl: config.publicUrl });
    return await work({ keys, issuerId: issuer.id });
  } finally {
    await db.close();
  }
}

export function register(program: Command): void {
  const keys = program.command('keys').description('Issuer signing keys (Ed25519): list and rotate');
  keys
    .command('list')
    .description('List the issuer keys with their validity (public keys only)')
    .option('--issuer <slug>', 'issuer slug', DEFAULT_ISSUER_SLUG)
    .option('--json', 'print JSON')
    .action(async (options: { issuer: string; json?: boolean }) => {
      const listed = await withKeys(options.issuer, ({ keys: provider, issuerId }) => provider.list(issuerId));
      console.log(options.json ? JSON.stringify(listed, null, 2) : listed.length > 0 ? listed.map(describe).join('\n') : 'No keys yet (one is created at start).');
    });
  keys
    .command('rotate')
    .description('Make a new key current; old keys stay in the DID document so older credentials keep verifying')
    .option('--issuer <slug>', 'issuer slug', DEFAULT_ISSUER_SLUG)
    .option('--reason <text>', 'why (kept in the audit log)', 'scheduled rotation')
    .action(async (options: { issuer: string; reason: string }) => {
      const created = await withKeys(options.issuer, async ({ keys: provider, issuerId }) => {
        await provider.ensureKey(issuerId);
        return provider.rotate(issuerId, { actor: 'cli', reason: options.reason });
      });
      console.log(`Rotated. New current key: ${describe(created)}`);
    });
}
