import { Router } from 'express';
import type { Database } from '../../storage/database.ts';

/** What the chain capability reports for /health; null fields until it is configured. */
export interface ChainHealth {
  kind: 'embedded' | 'rpc';
  chainId: number | null;
  contract: string | null;
  ok: boolean;
  error?: string;
  [extra: string]: unknown;
}

export interface HealthDependencies {
  db: Database;
  version: string;
  chainHealth?: () => Promise<ChainHealth>;
  chainKind: 'embedded' | 'rpc';
}

/**
 * `GET /health`: `{status, version, database: {kind, ok}, chain: {kind, chainId, contract,
 * ok, error?, …}}`. 200 `ok` when every part answers; 200 `degraded` when only the chain
 * does not (Sello still serves LTI, pages and verification, and anchors once the chain
 * is back, so a load balancer must keep sending traffic); 503 `degraded` when the
 * database does not answer, as nothing works without it.
 */
export function healthRouter(deps: HealthDependencies): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    const database: { kind: string; ok: boolean; error?: string } = { kind: deps.db.kind, ok: true };
    try {
      await deps.db.ping();
    } catch (error) {
      database.ok = false;
      database.error = (error as Error).message;
    }
    let chain: ChainHealth = { kind: deps.chainKind, chainId: null, contract: null, ok: true };
    if (deps.chainHealth) {
      try {
        chain = await deps.chainHealth();
      } catch (error) {
        chain = { ...chain, ok: false, error: (error as Error).message };
      }
    }
    const ok = database.ok && chain.ok;
    res.status(database.ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', version: deps.version, database, chain });
  });
  return router;
}
