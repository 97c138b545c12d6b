/**
 * The credentials' HTTP faces, composed: the VC API, the public credential page and the
 * `/verify` page, sharing one verification pool and one rate limit for submitted input.
 */
import express, { type Router } from 'express';
import type { AppContext } from './app.ts';
import { createSubmittedVerification, type CredentialRoutesDependencies } from './credential-routes.ts';
import { vcApiRouter } from './vc-api/credentials.ts';
import { credentialPageRouter } from './public/credential-page.ts';
import { verifyPageRouter } from './public/verify-page.ts';

export function credentialsRouter(deps: CredentialRoutesDependencies): (context: AppContext) => Router {
  return (context) => {
    const submitted = createSubmittedVerification(deps, context.config);
    const router = express.Router();
    router.use(vcApiRouter(deps, submitted));
    router.use(verifyPageRouter(deps, context, submitted));
    router.use(credentialPageRouter(deps, context));
    return router;
  };
}
