/**
 * `POST /chain/wallet`: a learner links a wallet and so claims soulbound tokens for
 * every credential they hold (minted by the anchor batcher's next pass).
 *
 * Who the learner is comes from `currentUserId` (the LTI session, wired by the
 * composition root); an administrator may act for a learner with the admin bearer token
 * and `userId` in the body.
 *
 * Errors: `invalid_wallet_address` 400 (not EIP-55 checksummed), `unauthorized` 401,
 * `user_not_found` 404.
 */
import crypto from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { linkWallet } from '../../chain/link-wallet.ts';
import { HttpError } from '../../errors.ts';
import type { Database } from '../../storage/database.ts';

export interface ChainWalletDependencies {
  db: Database;
  adminToken: string;
  /** The signed-in learner's user id, or null (LTI session). */
  currentUserId?: (req: Request, res: Response) => string | null | Promise<string | null>;
}

function isAdmin(req: Request, adminToken: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
  if (!match) return false;
  const given = crypto.createHash('sha256').update(match[1]!.trim()).digest();
  const expected = crypto.createHash('sha256').update(adminToken).digest();
  return crypto.timingSafeEqual(given, expected);
}

export function chainWalletRouter(deps: ChainWalletDependencies): Router {
  const router = Router();
  router.post('/chain/wallet', async (req, res, next) => {
    try {
      const body = (req.body ?? {}) as { walletAddress?: unknown; userId?: unknown };
      let userId: string | null = null;
      if (isAdmin(req, deps.adminToken)) {
        userId = typeof body.userId === 'string' ? body.userId : null;
        if (!userId) throw new HttpError('invalid_request', 'userId is required when acting as administrator');
      } else {
        userId = (await deps.currentUserId?.(req, res)) ?? null;
        if (!userId) throw new HttpError('unauthorized', 'Sign in through your course to link a wallet');
      }
      const linked = await linkWallet({ db: deps.db, userId, walletAddress: body.walletAddress });
      res.json({ userId, walletAddress: linked.walletAddress, queuedTokens: linked.queuedTokens });
    } catch (error) {
      next(error);
    }
  });
  return router;
}
