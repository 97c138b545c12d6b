/**
 * The credentials' HTTP faces, composed: the VC API, the public credential page and the
 * `/verify` page, sharing one verification pool and one rate limit for submitted input.
 */
import express, { type Router } from 'express';
import type { AppContext } from './app.ts';
import { createSubmittedVerification, type CredentialRoutesDependencies, type SubmittedVerification } from './credential-routes.ts';
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
export function credentialsRouters(deps: CredentialRoutesDependencies): { api: (context: AppContext) => Router; pages: (context: AppContext) => Router } {
  let submitted: SubmittedVerification | null = null;
  const shared = (context: AppContext) => (submitted ??= createSubmittedVerification(deps, context.config));
  return {
    api: (context) => vcApiRouter(deps, shared(context)),
    pages: (context) => {
      const router = express.Router();
      router.use(verifyPageRouter(deps, context, shared(context)));
      router.use(credentialPageRouter(deps, context));
      return router;
    },
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
