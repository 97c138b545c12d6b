/**
 * The credentials' HTTP faces, composed: the VC API, the public credential page and the
 * `/verify` page, sharing one verification pool and one rate limit for submitted input.
 */
import express, { type RequestHandler, type Router } from 'express';
import type { AppContext } from './app.ts';
import { createSubmittedVerification, retryAfterOf, type CredentialRoutesDependencies, type SubmittedVerification } from './credential-routes.ts';
import { vcApiRouter } from './vc-api/credentials.ts';
import { credentialPageRouter } from './public/credential-page.ts';
import { verifyPageRouter } from './public/verify-page.ts';

/**
 * The VC API and the pages as two routers that share one verification pool and one rate
 * limit, so that a server can mount the API ahead of its other routers: express tries
 * every router mounted before the one that answers, and a verification answered behind
 * some twenty page routers spent a tenth of the event loop's time on routing (issue 15).
 * Both still sit behind every middleware `buildApp` mounts before the routers.
 */
export function credentialsRouters(deps: CredentialRoutesDependencies): {
  api: (context: AppContext) => Router;
  pages: (context: AppContext) => Router;
  refuseAtCapacity: RequestHandler;
} {
  let submitted: SubmittedVerification | null = null;
  const shared = (context: AppContext) => (submitted ??= createSubmittedVerification(deps, context.config));
  return {
    api: (context) => vcApiRouter(deps, shared(context)),
    refuseAtCapacity: refuseVerificationAtCapacity(() => submitted),
    pages: (context) => {
      const router = express.Router();
      router.use(verifyPageRouter(deps, context, shared(context)));
      router.use(credentialPageRouter(deps, context));
      return router;
    },
  };
}

/** The VC API's verifiers, whose requests `refuseVerificationAtCapacity` may refuse before their bodies are read. */
const VERIFIER_PATHS = new Set(['/credentials/verify', '/presentations/verify']);

/**
 * Refuses `POST /credentials/verify` and `/presentations/verify` with the pool's own 503
 * (`verification_unavailable`, Retry-After) when the pool would refuse them anyway, before
 * the body parsers: for mounting through `buildApp`'s `earlyMounts`. Under overload the
 * event loop answers thousands of refusals a second, and each one parsed and walked a
 * request body (twice) that it then threw away; the time it spent on them delayed the
 * workers' calls back and their next jobs, and every other route (issue 15). The route's
 * own check stays: this one is only the cheaper path to the same answer, and lets through
 * anything it does not recognise (another spelling of the path, before the first request).
 */
function refuseVerificationAtCapacity(submitted: () => SubmittedVerification | null): RequestHandler {
  return (req, res, next) => {
    const verification = req.method === 'POST' && VERIFIER_PATHS.has(req.path) ? submitted() : null;
    const refusal = verification?.verifier().refusal() ?? null;
    if (!refusal) {
      next();
      return;
    }
    res.set('retry-after', String(retryAfterOf(refusal, verification!.retryAfterSeconds)));
    next(refusal);
  };
}

/** The VC API and the pages in one router (mounted where the API's place among the routers does not matter). */
export function credentialsRouter(deps: CredentialRoutesDependencies): (context: AppContext) => Router {
  const { api, pages } = credentialsRouters(deps);
  return (context) => {
    const router = express.Router();
    router.use(api(context));
    router.use(pages(context));
    return router;
  };
}
