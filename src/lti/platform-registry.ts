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
import { createAuditRepository } from '../storage/audit-repository.ts';
import { createIssuerRepository, defaultIssuerProfile, DEFAULT_ISSUER_SLUG } from '../storage/issuer-repository.ts';
import { createRegistrationInviteRepository } from '../storage/registration-invite-repository.ts';
import {
  createRegistrationRequestRepository,
  type RegistrationRequest,
} from '../storage/registration-request-repository.ts';
import {
  createPlatformRepository,
  type Platform,
  type PlatformProduct,
  type PlatformRepository,
  type PlatformStatus,
} from '../storage/platform-repository.ts';
import type { Config } from '../config.ts';
import { LtiError } from './errors.ts';

/**
 * The platforms table as read once for one request: an LMS page's security headers read
 * it first (its frame ancestors), and the OIDC login or launch answering the same request
 * uses that read instead of making a second one. Kept in `res.locals`, so it lives and
 * dies with the request.
 */
export function platformsOfRequest(res: { locals: Record<string, unknown> }, platforms: Pick<PlatformRepository, 'list'>): Promise<Platform[]> {
  return (res.locals.platformsOfRequest ??= platforms.list()) as Promise<Platform[]>;
}

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

/** A registration that arrived by LTI Dynamic Registration, after the platform accepted Sello. */
export interface DynamicRegistrationInput {
  iss: string;
  clientId: string;
  authUrl: string;
  tokenUrl: string;
  jwksUrl: string;
  deploymentIds: string[];
  name: string;
  product: PlatformProduct;
  openidConfigurationUrl: string;
  /**
   * What approves it at once: the SHA-256 of a one-time registration link's token (used
   * atomically here), or the operator's explicit `LTI_DYNREG_AUTO_APPROVE` (new issuers only).
   */
  approval: { inviteTokenHash?: string; autoApprove: boolean };
}

export type DynamicRegistrationOutcome =
  /** A new issuer: a platform, active only when an invite or auto-approval allowed it. */
  | { kind: 'platform'; platform: Platform; active: boolean }
  /** A known issuer: a request an administrator decides on; nothing known was changed (unless an invite approved it). */
  | { kind: 'request'; request: RegistrationRequest; platform: Platform; active: boolean };

export interface PlatformRegistry {
  /**
   * Registers a platform (or refreshes its endpoints) for an administrator (admin API,
   * CLI), in ltijs and in Sello.
   * @throws LtiError `invalid_platform` (unknown issuer slug).
   */
  register(input: RegisterPlatformParameters): Promise<Platform>;
  /**
   * Records a Dynamic Registration. It never changes a platform Sello knows: for a known
   * issuer it files a pending request instead, which only an administrator (or the
   * invite the administrator made) approves.
   * https://www.imsglobal.org/spec/lti-dr/v1p0#tool-registration-response
   */
  registerDynamic(input: DynamicRegistrationInput): Promise<DynamicRegistrationOutcome>;
  /**
   * Approves a pending platform, or a pending registration request (which then replaces
   * the platform it names; recorded in the audit log as `platform.replaced`).
   * @throws LtiError `platform_not_found`.
   */
  approve(id: string, actor: string): Promise<Platform>;
  /**
   * Rejects a pending registration request.
   * @throws LtiError `platform_not_found`.
   */
  reject(requestId: string, actor: string): Promise<RegistrationRequest>;
  setStatus(platformId: string, status: PlatformStatus): Promise<Platform>;
  list(): Promise<Platform[]>;
  /** Registration requests for known issuers that wait for an administrator. */
  listRequests(): Promise<RegistrationRequest[]>;
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

  async function registerInLtijs(input: RegisterPlatformParameters, existing: Platform | null): Promise<Platform> {
    const owner = await issuerId(input.issuerSlug);
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
      const platform = await db.transaction(async (tx) => {
        const repo = createPlatformRepository(tx);
        const saved = await repo.upsert({
          issuerId: owner,
          iss: input.iss,
          clientId: input.clientId,
          name,
          product: input.product ?? guessProduct(input.iss, name),
          status: input.status,
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
  }

  /** Applies an approved request: the platform it replaces takes its endpoints (or gives way to it). */
  async function applyRequest(request: RegistrationRequest, actor: string): Promise<Platform> {
    const sameClient = await platforms.findByIssuerAndClient(request.iss, request.clientId);
    const replaced = sameClient ?? (request.replacesPlatformId ? await platforms.findById(request.replacesPlatformId) : null);
    // Same (issuer, client id): the row keeps its id, so its courses, users and awards stay.
    const platform = await registerInLtijs(
      {
        iss: request.iss,
        clientId: request.clientId,
        authUrl: request.authUrl,
        tokenUrl: request.tokenUrl,
        jwksUrl: request.jwksUrl,
        deploymentIds: request.deploymentIds,
        name: request.name,
        product: request.product,
        status: 'active',
        registeredVia: 'dynamic',
      },
      sameClient,
    );
    if (replaced && replaced.id !== platform.id && replaced.status !== 'disabled') {
      const old = await platforms.setStatus(replaced.id, 'disabled');
      if (old?.ltiKid) await ltijs.setActive(old.ltiKid, false);
    }
    await createRegistrationRequestRepository(db).decide(request.id, 'approved');
    await audit.record({
      actor,
      action: 'platform.replaced',
      subject: platform.id,
      details: {
        request: request.id,
        iss: request.iss,
        openidConfigurationUrl: request.openidConfigurationUrl,
        replaced: replaced
          ? { id: replaced.id, clientId: replaced.clientId, authUrl: replaced.authUrl, tokenUrl: replaced.tokenUrl, jwksUrl: replaced.jwksUrl }
          : null,
        now: { id: platform.id, clientId: platform.clientId, authUrl: platform.authUrl, tokenUrl: platform.tokenUrl, jwksUrl: platform.jwksUrl },
      },
    });
    return platform;
  }

  async function setStatus(platformId: string, status: PlatformStatus): Promise<Platform> {
    const platform = await platforms.setStatus(platformId, status);
    if (!platform) throw new LtiError('platform_not_found', `No platform ${platformId}`);
    if (platform.ltiKid) await ltijs.setActive(platform.ltiKid, status === 'active');
    return platform;
  }

  const audit = createAuditRepository(db);
  const requests = createRegistrationRequestRepository(db);
  const invites = createRegistrationInviteRepository(db);

  return {
    async register(input) {
      const existing = await platforms.findByIssuerAndClient(input.iss, input.clientId);
      return registerInLtijs(input, existing);
    },

    async registerDynamic(input) {
      const { approval } = input;
      const known = await platforms.listByIssuer(input.iss);
      const newPlatform =
        known.length === 0
          ? await platforms.insertNew({
              issuerId: await issuerId(undefined),
              iss: input.iss,
              clientId: input.clientId,
              name: input.name,
              product: input.product,
              status: 'pending',
              authUrl: input.authUrl,
              tokenUrl: input.tokenUrl,
              jwksUrl: input.jwksUrl,
              registeredVia: 'dynamic',
            })
          : null;
      if (!newPlatform) {
        // A known issuer (or one that another registration claimed a moment ago): nothing
        // known changes; an administrator decides.
        const current = known.length > 0 ? known : await platforms.listByIssuer(input.iss);
        const replaces =
          current.find((p) => p.clientId === input.clientId) ?? current.find((p) => p.status === 'active') ?? current[0] ?? null;
        const request = await requests.create({
          iss: input.iss,
          clientId: input.clientId,
          name: input.name,
          product: input.product,
          authUrl: input.authUrl,
          tokenUrl: input.tokenUrl,
          jwksUrl: input.jwksUrl,
          deploymentIds: input.deploymentIds,
          openidConfigurationUrl: input.openidConfigurationUrl,
          replacesPlatformId: replaces?.id ?? null,
        });
        const invite = approval.inviteTokenHash ? await invites.use(approval.inviteTokenHash, replaces?.id ?? null) : null;
        if (invite) {
          const platform = await applyRequest(request, `invite:${invite.id}`);
          return { kind: 'request', request: (await requests.findById(request.id))!, platform, active: true };
        }
        await audit.record({
          actor: 'dynamic-registration',
          action: 'platform.registration_requested',
          subject: replaces?.id ?? null,
          details: { request: request.id, iss: input.iss, clientId: input.clientId, openidConfigurationUrl: input.openidConfigurationUrl },
        });
        return { kind: 'request', request, platform: replaces!, active: false };
      }
      let platform: Platform;
      try {
        platform = await registerInLtijs(
          {
            iss: input.iss,
            clientId: input.clientId,
            authUrl: input.authUrl,
            tokenUrl: input.tokenUrl,
            jwksUrl: input.jwksUrl,
            deploymentIds: input.deploymentIds,
            name: input.name,
            product: input.product,
            status: 'pending',
            registeredVia: 'dynamic',
          },
          null,
        );
      } catch (error) {
        await platforms.delete(newPlatform.id).catch(() => {});
        throw error;
      }
      const invite = approval.inviteTokenHash ? await invites.use(approval.inviteTokenHash, platform.id) : null;
      if (invite || approval.autoApprove) {
        platform = await setStatus(platform.id, 'active');
      }
      await audit.record({
        actor: invite ? `invite:${invite.id}` : 'dynamic-registration',
        action: 'platform.registered',
        subject: platform.id,
        details: { iss: input.iss, clientId: input.clientId, status: platform.status, openidConfigurationUrl: input.openidConfigurationUrl },
      });
      return { kind: 'platform', platform, active: platform.status === 'active' };
    },

    async approve(id, actor) {
      const platform = await platforms.findById(id);
      if (platform) {
        const approved = await setStatus(id, 'active');
        await audit.record({ actor, action: 'platform.approved', subject: id });
        return approved;
      }
      const request = await requests.findById(id);
      if (!request || request.status !== 'pending') throw new LtiError('platform_not_found', `No platform or pending registration ${id}`);
      return applyRequest(request, actor);
    },

    async reject(requestId, actor) {
      const request = await requests.decide(requestId, 'rejected');
      if (!request) throw new LtiError('platform_not_found', `No pending registration ${requestId}`);
      await audit.record({ actor, action: 'platform.registration_rejected', subject: request.replacesPlatformId, details: { request: request.id, iss: request.iss } });
      return request;
    },

    setStatus,
    list: () => platforms.list(),
    listRequests: () => requests.listPending(),
  };
}
