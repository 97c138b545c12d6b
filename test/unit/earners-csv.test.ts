/**
 * The earners page's pure parts: where a badge stands, and CSV cells a spreadsheet
 * cannot run (OWASP CSV injection).
 */
import { describe, expect, it } from 'vitest';
import { csvCell, earnerState } from '../../src/web/instructor/earners.ts';

describe('csvCell', () => {
  it('quotes every cell and doubles quotes inside', () => {
    expect(csvCell('Leo "El Rápido", Jr.')).toBe('"Leo ""El Rápido"", Jr."');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell('')).toBe('""');
  });

  it('prefixes cells a spreadsheet would read as a formula', () => {
    for (const formula of ['=1+1', '+1', '-2', '@SUM(A1)', '\t=1', '\r=1', '=HYPERLINK("http://x","y")']) {
      expect(csvCell(formula).startsWith(`"'`)).toBe(true);
    }
    expect(csvCell('Ana = Eva')).toBe('"Ana = Eva"');
  });
});

describe('earnerState', () => {
  const base = { state: null, credentialId: null, anchorStatus: null, parkedJobId: null } as const;
  it('names the furthest step of the badge', () => {
    expect(earnerState(base)).toBe('in_progress');
    expect(earnerState({ ...base, state: 'awarded' })).toBe('awarded');
    expect(earnerState({ ...base, state: 'signed', credentialId: 'urn:uuid:1' })).toBe('issued');
    expect(earnerState({ ...base, state: 'signed', credentialId: 'urn:uuid:1', anchorStatus: 'sent' })).toBe('issued');
    expect(earnerState({ ...base, state: 'signed', credentialId: 'urn:uuid:1', anchorStatus: 'anchored' })).toBe('anchored');
    expect(earnerState({ ...base, state: 'posted', credentialId: 'urn:uuid:1', anchorStatus: 'anchored' })).toBe('in_gradebook');
    expect(earnerState({ ...base, state: 'awarded', parkedJobId: 7 })).toBe('parked');
    expect(earnerState({ ...base, parkedJobId: 7 })).toBe('parked');
    expect(earnerState({ ...base, state: 'revoking', parkedJobId: 7 })).toBe('revoking');
    expect(earnerState({ ...base, state: 'revoked', credentialId: 'urn:uuid:1' })).toBe('revoked');
  });
});
