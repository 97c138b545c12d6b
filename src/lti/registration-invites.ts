/**
 * One-time Dynamic Registration links: the quick, safe way to install Sello in an LMS.
 * An administrator makes one (`npx sello platforms invite`, the admin page, or
 * `POST /admin/api/platforms/invites`) and pastes `/lti/register?invite=…` into the LMS
 * as the tool's registration URL; the LMS appends `openid_configuration` and
 * `registration_token`, and the registration it completes is approved at once. Anyone
 * else's registration waits for an administrator.
 *
 * The token is 192 random bits; only its SHA-256 is stored; it works once and expires.
 *
 * https://www.imsglobal.org/spec/lti-dr/v1p0#step-1-registration-initiation-request
 */
import crypto from 'node:crypto';
import type { Database } from '../storage/database.ts';
import { createRegistrationInviteRepository } from '../storage/registration-invite-repository.ts';
import { LtiError } from './errors.ts';
import { toolEndpoints } from './tool-configuration.ts';

/** How long a link works unless its maker says otherwise. */
export const DEFAULT_INVITE_HOURS = 24;
/** Longest a link may work: it is a bearer credential for approving a platform. */
export const MAX_INVITE_HOURS = 24 * 30;

export interface RegistrationInviteLink {
  id: string;
  /** The URL to paste into the LMS (shown once; Sello cannot show it again). */
  url: string;
  expiresAt: Date;
}

export interface RegistrationInvites {
  /**
   * Makes a one-time registration link.
   * @throws LtiError `invalid_invite` when `hours` is not between 1 minute and 30 days.
   */
  create(parameters: { createdBy: string; hours?: number }): Promise<RegistrationInviteLink>;
  /** True when `token` is an unused, unexpired invite (checked before Sello calls the LMS). */
  isUsable(token: string): Promise<boolean>;
}

/** What is stored for a token, and what a registration looks it up by. */
export function hashInviteToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

export function createRegistrationInvites({ db, publicUrl }: { db: Database; publicUrl: string }): RegistrationInvites {
  const repo = createRegistrationInviteRepository(db);
  const register = toolEndpoints(publicUrl).register;
  return {
    async create({ createdBy, hours = DEFAULT_INVITE_HOURS }) {
      if (!Number.isFinite(hours) || hours < 1 / 60 || hours > MAX_INVITE_HOURS) {
        throw new LtiError('invalid_invite', `A registration link lasts between 1 minute and ${MAX_INVITE_HOURS} hours`, { hours });
      }
      const token = crypto.randomBytes(24).toString('base64url');
      const invite = await repo.create({ tokenHash: hashInviteToken(token), createdBy, expiresAt: new Date(Date.now() + hours * 3600_000) });
      return { id: invite.id, url: `${register}?invite=${token}`, expiresAt: invite.expiresAt };
    },
    async isUsable(token) {
      // Tokens Sello makes are 32 base64url characters; anything else is not worth a query.
      if (!/^[A-Za-z0-9_-]{16,128}$/.test(token)) return false;
      return (await repo.findUsable(hashInviteToken(token))) !== null;
    },
  };
}
