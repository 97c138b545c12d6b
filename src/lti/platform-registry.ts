/**
 * Platforms Sello trusts, kept in step in two places: ltijs's records (endpoints, the
 * tool key pair it generates per platform, its active flag) and Sello's `platforms` /
 * `deployments` rows (issuer, status, product). Every registration path (Dynamic
 * Registration, admin API, CLI) goes through `registerPlatform`.
 *
 * https://www.imsglobal.org/spec/lti/v1p3#tool-deployment
 */
import { z } from 'zod';
import type { Database } from '../storage/database.ts';
import { createIssuerRepository, defaultIssuerProfile, DEFAULT_ISSUER_SLUG } from '../storage/issuer-repository.ts';
import {
  createPlatformRepository,
  type Platform,
  type PlatformProduct,
  type PlatformStatus,
} from '../storage/platform-repository.ts';
import type { Config } from '../config.ts';
import { LtiError } from './errors.ts';

/** What Sello needs from ltijs to keep its platform records; implemented in `provider.ts`. */
export interface LtijsPlatforms {
  /** Creates (with a new key pair) or updates ltijs's platform record; returns its kid. */
  upsert(input: { iss: string; clientId: string; name: string; authUrl: string; tokenUrl: string; jwksUrl: string }): Promise<string>;
  setActive(kid: string, active: boolean): Promise<void>;
  remove(iss: string, clientId: string): Promise<void>;
}

const httpUrl = z
  .string()
  .trim()
  .url()
  .refine((value) => /^https?:\/\//.test(value), 'must be an http(s) URL');

/** Input of a manual registration (admin API, CLI), validated. */
export const platformInputSchema = z.object({
  issuer: httpUrl,
  clientId: z.string().trim().min(1).max(255),
  authUrl: httpUrl,
  tokenUrl: httpUrl,
  jwksUrl: httpUrl,
  deploymentId: z.string().trim().min(1).max(255).optional(),
  name: z.string().trim().max(200).optional(),
  product: z.enum(['moodle', 'canvas', 'other']).optional(),
  issuerSlug: z.string().trim().min(1).optional(),
});
export type PlatformInput = z.infer<typeof platformInputSchema>;

export interface RegisterPlatformParameters {
  iss: string;
  clientId: string;
  authUrl: string;
  tokenUrl: string;
  jwksUrl: string;
  deploymentIds?: string[];
  name?: string;
  product?: PlatformProduct;
  status: PlatformStatus;
  issuerSlug?: string;
  registeredVia: 'manual' | 'dynamic' | 'cli';
}

/**
 * A validated manual registration (admin API or CLI) as the registry takes it. An
 * administrator adding a platform is its approval, so it starts active.
 */
export function manualRegistration(input: PlatformInput, registeredVia: 'manual' | 'cli'): RegisterPlatformParameters {
  return {
    iss: input.issuer,
    clientId: input.clientId,
    authUrl: input.authUrl,
    tokenUrl: input.tokenUrl,
    jwksUrl: input.jwksUrl,
    deploymentIds: input.deploymentId ? [input.deploymentId] : [],
    name: input.name,
    product: input.product,
    issuerSlug: input.issuerSlug,
    status: 'active',
    registeredVia,
  };
}

export interface PlatformRegistry {
  /**
   * Registers a platform (or refreshes its endpoints), in ltijs and in Sello.
   * @throws LtiError `invalid_platform` (unknown issuer slug).
   */
  register(input: RegisterPlatformParameters): Promise<Platform>;
  setStatus(platformId: string, status: PlatformStatus): Promise<Platform>;
  list(): Promise<Platform[]>;
}

/** Guesses the LMS from its issuer, for product-specific behaviour and the admin list. */
export function guessProduct(iss: string, hint?: string | null): PlatformProduct {
  const text = `${iss} ${hint ?? ''}`.toLowerCase();
  if (text.includes('moodle')) return 'moodle';
  if (text.includes('canvas') || text.includes('instructure')) return 'canvas';
  return 'other';
}

export function createPlatformRegistry({
  db,
  ltijs,
  config,
}: {
  db: Database;
  ltijs: LtijsPlatforms;
  config: Readonly<Config>;
}): PlatformRegistry {
  const platforms = createPlatformRepository(db);
  const issuers = createIssuerRepository(db);

  async function issuerId(slug: string | undefined): Promise<string> {
    const wanted = slug ?? DEFAULT_ISSUER_SLUG;
    const found = await issuers.findBySlug(wanted);
    if (found) return found.id;
    if (wanted !== DEFAULT_ISSUER_SLUG) throw new LtiError('invalid_platform', `No issuer with slug "${wanted}"`, { issuerSlug: wanted });
    // The composition root creates the default issuer at start; a bare database (CLI) may not have it yet.
    const created = await issuers.upsert(defaultIssuerProfile(config.issuer));
    return created.id;
  }

  return {
    async register(input) {
      const owner = await issuerId(input.issuerSlug);
      const existing = await platforms.findByIssuerAndClient(input.iss, input.clientId);
      const name = input.name || existing?.name || new URL(input.iss).host;
      const kid = await ltijs.upsert({
        iss: input.iss,
        clientId: input.clientId,
        name,
        authUrl: input.authUrl,
        tokenUrl: input.tokenUrl,
        jwksUrl: input.jwksUrl,
      });
      try {
        const status = existing && input.registeredVia === 'dynamic' ? existing.status : input.status;
        const platform = await db.transaction(async (tx) => {
          const repo = createPlatformRepository(tx);
          const saved = await repo.upsert({
            issuerId: owner,
            iss: input.iss,
            clientId: input.clientId,
            name,
            product: input.product ?? guessProduct(input.iss, name),
            status,
            ltiKid: kid,
            authUrl: input.authUrl,
            tokenUrl: input.tokenUrl,
            jwksUrl: input.jwksUrl,
            registeredVia: input.registeredVia,
          });
          for (const deploymentId of input.deploymentIds ?? []) await repo.addDeployment(saved.id, deploymentId);
          return saved;
        });
        await ltijs.setActive(kid, platform.status === 'active');
        return (await platforms.findById(platform.id))!;
      } catch (error) {
        // Nothing half-registered: a platform ltijs knows but Sello does not would accept launches.
        if (!existing) await ltijs.remove(input.iss, input.clientId).catch(() => {});
        throw error;
      }
    },
    async setStatus(platformId, status) {
      const platform = await platforms.setStatus(platformId, status);
      if (!platform) throw new LtiError('platform_not_found', `No platform ${platformId}`);
      if (platform.ltiKid) await ltijs.setActive(platform.ltiKid, status === 'active');
      return platform;
    },
    list: () => platforms.list(),
  };
}
