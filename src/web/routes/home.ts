import { Router } from 'express';
import type { PageRenderer } from '../views.ts';

export function homeRouter(deps: { pages: PageRenderer; publicUrl: string }): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    res.type('html').send(
      deps.pages.render(
        'home',
        { registerUrl: `${deps.publicUrl}/lti/register`, canvasUrl: `${deps.publicUrl}/lti/canvas.json` },
        res.locals.locale,
      ),
    );
  });
  return router;
}
