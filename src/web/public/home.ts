import { Router } from 'express';
import type { PageRenderer } from '../views.ts';

/**
 * `/`: what Sello is, for the institution that runs it: how to install it in Moodle
 * (Dynamic Registration URL) and Canvas (developer key JSON URL), with copy buttons
 * (`/static/js/copy.js`; the URLs stay selectable text without JavaScript), and links
 * to `/verify`, the in-browser verifier and, when it runs, the demo.
 */
export function homeRouter(deps: { pages: PageRenderer; publicUrl: string; demo?: boolean }): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    res.type('html').send(
      deps.pages.render(
        'home',
        { registerUrl: `${deps.publicUrl}/lti/register`, canvasUrl: `${deps.publicUrl}/lti/canvas.json`, demo: Boolean(deps.demo) },
        res.locals.locale,
      ),
    );
  });
  return router;
}
