/**
 * Scenario set-up shared by the credentials integration tests: a real app on a real
 * test database with the credential routes, the deployment's default issuer with a
 * key, and an achievement in its library.
 */
import { makeTestApp } from '../support/app.ts';
import { createIssuerRepository, DEFAULT_ISSUER_SLUG } from '../../src/storage/issuer-repository.ts';
import { createAchievementRepository } from '../../src/storage/achievement-repository.ts';
import { createIssuerKeyProvider } from '../../src/issuance/issuer-keys.ts';
import { credentialsRouters } from '../../src/web/credentials.ts';
import { didRouter } from '../../src/web/public/did.ts';
import { statusRouter } from '../../src/web/public/status.ts';
import type { AnchorChecker, VerificationReport } from '../../src/credentials/verify.ts';
import type { VerificationCache } from '../../src/credentials/verification-cache.ts';
import type { RenderedCredentialPage } from '../../src/web/credential-routes.ts';

export const ADMIN = 'test-admin-token-0123456789abcdef';
export const CHAIN = { chainId: 31337, contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3' };

export async function makeCredentialsApp(
  options: {
    env?: Record<string, string>;
    anchorChecker?: AnchorChecker;
    chainVersion?: () => Promise<string | null>;
    now?: () => Date;
    onKeysChanged?: () => void;
    verificationCache?: VerificationCache<VerificationReport>;
    pageCache?: VerificationCache<RenderedCredentialPage>;
  } = {},
) {
  const base = await makeTestApp({ env: options.env });
  const { config, db } = base;
  const issuer = await createIssuerRepository(db).upsert({
    slug: DEFAULT_ISSUER_SLUG,
    name: 'Universidad de Ejemplo',
    url: 'https://uni.example',
    email: 'badges@uni.example',
    imageUrl: null,
    description: 'Badges of the Universidad de Ejemplo',
    didMethod: config.issuer.didMethod,
  });
  const keys = createIssuerKeyProvider({ db, kek: config.secrets.keyEncryptionKey!, publicUrl: config.publicUrl, now: options.now });
  await keys.ensureKey(issuer.id);
  const achievement = await createAchievementRepository(db).create({
    issuerId: issuer.id,
    name: 'Python Basics',
    description: 'Completed the Python basics module.',
    criteriaNarrative: { en: 'Score 80% or more in every quiz.', es: 'Obtener 80% o más en cada prueba.' },
    tags: ['python'],
    alignments: [{ targetName: 'Programming', targetUrl: 'https://uni.example/competencies/programming' }],
    inLanguage: 'es',
  });
  const deps = {
    db,
    keys,
    publicUrl: config.publicUrl,
    adminToken: ADMIN,
    defaultIssuerId: issuer.id,
    chainReference: () => CHAIN,
    anchorChecker: options.anchorChecker,
    chainVersion: options.chainVersion,
    now: options.now,
    verificationCache: options.verificationCache,
    pageCache: options.pageCache,
  };
  const { app } = await (async () => {
    const { buildApp } = await import('../../src/web/app.ts');
    // As src/server.ts mounts them: the VC API ahead of the other routers, the pages after them.
    const credentials = credentialsRouters(deps);
    const routers = [credentials.api, didRouter({ db, keys, adminToken: ADMIN, onKeysChanged: options.onKeysChanged }), statusRouter({ db, keys, publicUrl: config.publicUrl, now: options.now }), credentials.pages];
    return { app: buildApp({ ...base.deps, earlyMounts: [{ path: '/', handler: credentials.refuseAtCapacity }], routers }) };
  })();
  return { ...base, app, issuer, keys, achievement, deps };
}
