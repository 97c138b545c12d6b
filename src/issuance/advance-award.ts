/**
 * The `advance_award` step: takes one award as far as it can go, one recorded state
 * transition at a time:
 *
 *   awarded ──sign──▶ signed ──post to gradebook──▶ posted
 *   revoking ──revoke status, post 0──▶ revoked
 *
 * Every step is safe to repeat: signing is idempotent by the award's credential id, a
 * repeated gradebook post writes the same score with the same timestamp, and each
 * transition only happens from the state it expects. So a process killed anywhere, or
 * two processes on one award, still end with one credential and one score. Anchoring
 * and minting are the chain capability's: it picks up every row of `credentials`.
 */
import { createCredentialRepository } from '../storage/credential-repository.ts';
import type { Logger } from '../logger.ts';
import type { Database } from '../storage/database.ts';
import { createAwardRepository, type Award } from '../storage/award-repository.ts';
import { createUserRepository } from '../storage/user-repository.ts';
import { awardCredentialId } from './award-credential-id.ts';
import { badgeEarnedComment, badgeRevokedComment, commentLocale, verificationUrl, type CommentLocale } from './badge-comment.ts';
import { IssuanceError } from './issuance-error.ts';
import { createRoundLookups, type RoundLookups } from './round-lookups.ts';
import type { AwardCredentialSigner, CrashHook, GradebookPoster } from './ports.ts';

export interface AdvanceAwardParameters {
  db: Database;
  awardId: string;
  signer: AwardCredentialSigner;
  gradebook: GradebookPoster;
  publicUrl: string;
  defaultLocale: CommentLocale;
  now: () => Date;
  crashAt?: CrashHook;
  /** Achievement, course and line item link as read in this worker round. */
  lookups?: RoundLookups;
  /** Signatures and gradebook posts are logged at `info`, by id (never an email). */
  log?: Pick<Logger, 'info'>;
}

const PIPELINE_ACTOR = 'system:pipeline';

/**
 * Advances an award to its final state (`posted` or `revoked`) and returns it.
 *
 * @throws IssuanceError `award_not_found`, `achievement_not_found`, `learner_not_found`,
 *   `context_not_found`, `recipient_unreachable` (the learner has no email nor DID yet:
 *   the job parks until one arrives); the signer's and the gradebook's errors (retried).
 */
export async function advanceAward(parameters: AdvanceAwardParameters): Promise<Award> {
  const { db, awardId, signer, gradebook, publicUrl, defaultLocale, now, crashAt, log } = parameters;
  const lookups = parameters.lookups ?? createRoundLookups(db);
  const awards = createAwardRepository(db);
  let award = await awards.findById(awardId);
  if (!award) throw new IssuanceError('award_not_found', `No award ${awardId}`);
  const achievement = await lookups.achievement(award.achievementId);
  if (!achievement) throw new IssuanceError('achievement_not_found', `No achievement ${award.achievementId}`);
  const learner = await createUserRepository(db).findById(award.userId);
  if (!learner) throw new IssuanceError('learner_not_found', `No learner ${award.userId}`);
  const context = await lookups.context(award.contextId);
  if (!context) throw new IssuanceError('context_not_found', `No course ${award.contextId}`);
  const locale = commentLocale(context.locale, defaultLocale);
  const lineItemUrl = async () => award!.lineItemUrl ?? (await lookups.link(achievement.id, context.id))?.lineItemUrl ?? null;

  for (;;) {
    const current: Award = award;
    switch (current.state) {
      case 'awarded': {
        // A credential names its recipient by email or DID (OB 3.0 identifier). Without
        // either no retry can help; the roster or the webhook will bring the email.
        if (!learner.email && !learner.did) {
          throw new IssuanceError('recipient_unreachable', 'The learner has no email nor DID yet; the credential is signed when the roster brings one', {
            awardId: current.id,
            userId: learner.id,
          });
        }
        const credentialId = awardCredentialId(current);
        // Signing is outside any transaction on purpose: on the embedded database a
        // transaction holds the only connection, and signing is CPU work. The credential
        // row is idempotent by id, so a crash before the transition below is harmless.
        const credential = await signer.sign({ db, award: current, achievement, learner, credentialId, now: now() });
        crashAt?.('after_sign');
        const next = await awards.transition({
          id: current.id,
          from: 'awarded',
          to: 'signed',
          actor: PIPELINE_ACTOR,
          details: { credentialId: credential.id, hash: credential.hash },
          set: { credentialId: credential.id },
        });
        award = next ?? (await awards.findById(current.id))!;
        if (next) log?.info({ awardId: current.id, credentialId: credential.id, hash: credential.hash }, 'credential signed');
        crashAt?.('after_signed');
        break;
      }
      case 'signed': {
        const url = verificationUrl(publicUrl, current.credentialId!);
        const posted = await gradebook.postBadge({
          context,
          achievement,
          learner,
          lineItemUrl: await lineItemUrl(),
          earned: true,
          comment: badgeEarnedComment({ name: achievement.name, url, locale }),
          verificationUrl: url,
          // The same on a repeated post; an award posted before and sent back to post again
          // (migration 0403) is stamped later than its old grade, which Moodle requires.
          timestamp: current.postedAt ?? current.createdAt,
        });
        crashAt?.('after_post');
        award =
          (await awards.transition({
            id: current.id,
            from: 'signed',
            to: 'posted',
            actor: PIPELINE_ACTOR,
            details: posted.skipped ? { skipped: posted.skipped } : { lineItemUrl: posted.lineItemUrl },
            set: { postedAt: now(), lineItemUrl: posted.lineItemUrl ?? undefined },
          })) ?? (await awards.findById(current.id))!;
        log?.info({ awardId: current.id, credentialId: current.credentialId, lineItemUrl: posted.lineItemUrl, skipped: posted.skipped }, 'badge posted to gradebook');
        crashAt?.('after_posted');
        break;
      }
      case 'revoking': {
        // The credential may exist even if the award never recorded it (revoked mid-signing).
        const credentialId = current.credentialId ?? awardCredentialId(current);
        const exists = (await createCredentialRepository(db).findById(credentialId)) !== null;
        if (exists) {
          await signer.revoke({ db, credentialId, reason: current.revokeReason ?? 'revoked', actor: current.revokedBy ?? PIPELINE_ACTOR });
        }
        if (current.postedAt || exists) {
          await gradebook.postBadge({
            context,
            achievement,
            learner,
            lineItemUrl: await lineItemUrl(),
            earned: false,
            comment: badgeRevokedComment({ name: achievement.name, locale }),
            verificationUrl: exists ? verificationUrl(publicUrl, credentialId) : null,
            timestamp: current.updatedAt,
          });
        }
        award =
          (await awards.transition({
            id: current.id,
            from: 'revoking',
            to: 'revoked',
            actor: PIPELINE_ACTOR,
            details: { credentialId: exists ? credentialId : null },
            set: { revokedAt: now() },
          })) ?? (await awards.findById(current.id))!;
        log?.info({ awardId: current.id, credentialId: exists ? credentialId : null }, 'award revoked');
        break;
      }
      case 'posted':
      case 'revoked':
        return current;
    }
    if (award.state === current.state) return award;
  }
}
