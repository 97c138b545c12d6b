import { describe, expect, it } from 'vitest';
import { catalogKeys, toLocale, translate } from '../../src/web/i18n.ts';
import { LTI_PAGE_REASONS } from '../../src/lti/errors.ts';

describe('i18n', () => {
  it('has the same keys in Spanish and English', () => {
    expect(catalogKeys('es')).toEqual(catalogKeys('en'));
  });

  it('maps regional tags to the languages Sello speaks', () => {
    expect(toLocale('es-CR')).toBe('es');
    expect(toLocale('es_419')).toBe('es');
    expect(toLocale('EN-us')).toBe('en');
    expect(toLocale('fr')).toBeNull();
  });

  it('fills placeholders and shows the key when a message is missing', () => {
    expect(translate('es', 'home.install.moodle', { url: 'X' })).toBe('Moodle: agrega Sello con Registro Dinámico en X');
    expect(translate('es', 'no.such.key')).toBe('no.such.key');
  });

  it('has a sentence in both languages for every LTI error a person can meet on the error page', () => {
    const keys = new Set(catalogKeys('es'));
    expect([...LTI_PAGE_REASONS].filter((code) => !keys.has(`lti.error.reason.${code}`))).toEqual([]);
  });

  it('addresses the reader as tú throughout Spanish, as the home page and the admin pages do, never as usted', () => {
    // Imperatives and pronouns of usted that once crept into the demo, the Deep Linking picker and the HTTPS help.
    const usted = /\b(Pruebe|Entre|Ponga|Agregue|marque|Sirva|ponga|ejecute|vuelva|Elija|usted)\b|de su navegador/;
    const spanish = catalogKeys('es').map((key) => [key, translate('es', key)] as const);
    expect(spanish.filter(([, text]) => usted.test(text)).map(([key]) => key)).toEqual([]);
  });
});
