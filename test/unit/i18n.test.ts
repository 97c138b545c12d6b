import { describe, expect, it } from 'vitest';
import { catalogKeys, toLocale, translate } from '../../src/web/i18n.ts';

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
});
