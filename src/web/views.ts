/**
 * Handlebars pages: `views/pages/NAME.hbs` rendered inside `views/layouts/main.hbs`,
 * with every partial in `views/partials/`. Templates are compiled once and cached.
 * The `t` helper translates with the page's locale: `{{t "home.title"}}`, with
 * placeholders as hash arguments: `{{t "home.install.moodle" url=registerUrl}}`.
 * Forms that post to Sello get their CSRF token here (`form-protection.ts`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { translate, type Locale } from './i18n.ts';
import { addFormTokens, currentFormToken } from './form-protection.ts';

const viewsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'views');

export interface PageRenderer {
  render(page: string, data: Record<string, unknown> & { title?: string }, locale: Locale): string;
}

export function createPageRenderer(): PageRenderer {
  const hbs = Handlebars.create();
  const partialsDir = path.join(viewsDir, 'partials');
  for (const file of fs.existsSync(partialsDir) ? fs.readdirSync(partialsDir) : []) {
    if (file.endsWith('.hbs')) hbs.registerPartial(path.basename(file, '.hbs'), fs.readFileSync(path.join(partialsDir, file), 'utf8'));
  }
  hbs.registerHelper('t', function (this: unknown, key: string, options: Handlebars.HelperOptions) {
    const locale = (options.data?.root?.locale as Locale) ?? 'en';
    return translate(locale, key, options.hash);
  });
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hbs.registerHelper('json', (value: unknown) => JSON.stringify(value, null, 2));
  const cache = new Map<string, Handlebars.TemplateDelegate>();
  const template = (relative: string) => {
    let compiled = cache.get(relative);
    if (!compiled) {
      compiled = hbs.compile(fs.readFileSync(path.join(viewsDir, relative), 'utf8'));
      cache.set(relative, compiled);
    }
    return compiled;
  };
  return {
    render(page, data, locale) {
      const context = { ...data, locale, otherLocale: locale === 'es' ? 'en' : 'es' };
      let body = template(`pages/${page}.hbs`)(context);
      // Every form that posts to Sello carries its CSRF token, without each view asking for it.
      if (/<form\b[^>]*\bmethod="post"/i.test(body)) body = addFormTokens(body, currentFormToken(typeof data.ltik === 'string' ? data.ltik : null));
      return template('layouts/main.hbs')({ ...context, body });
    },
  };
}
