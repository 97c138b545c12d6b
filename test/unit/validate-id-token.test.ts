import { describe, expect, it } from 'vitest';
import { validateIdTokenClaims } from '../../src/lti/validate-id-token.ts';
import { CLAIM } from '../../src/lti/claims.ts';

const now = new Date('2026-05-01T12:00:00Z');
const nowS = now.getTime() / 1000;
const good = (): Record<string, unknown> => ({
  iss: 'https://moodle.example.edu',
  aud: 'client-1',
  azp: 'client-1',
  sub: 'user-1',
  iat: nowS,
  exp: nowS + 300,
  nonce: 'n-1',
  [CLAIM.deploymentId]: '1',
  [CLAIM.roles]: ['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner'],
  [CLAIM.context]: { id: 'course-1', title: 'Course' },
  [CLAIM.resourceLink]: { id: 'rl-1' },
});
const codeFor = (change: (claims: Record<string, unknown>) => void): string | null => {
  const claims = good();
  change(claims);
  try {
    validateIdTokenClaims({ claims, clientIds: ['client-1', 'client-2'], now });
    return null;
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe('validateIdTokenClaims', () => {
  it('accepts a well-formed launch, a one-element audience array and an empty roles array', () => {
    expect(codeFor(() => {})).toBeNull();
    expect(codeFor((c) => void (c.aud = ['client-1']))).toBeNull();
    expect(codeFor((c) => void (c[CLAIM.roles] = []))).toBeNull();
    expect(codeFor((c) => void delete c.azp)).toBeNull();
  });

  it('allows a minute of clock skew either way and no more', () => {
    expect(codeFor((c) => void (c.exp = nowS - 59))).toBeNull();
    expect(codeFor((c) => void (c.exp = nowS - 61))).toBe('lti_token_expired');
    expect(codeFor((c) => void (c.iat = nowS + 59))).toBeNull();
    expect(codeFor((c) => void (c.iat = nowS + 61))).toBe('lti_token_invalid');
    expect(codeFor((c) => void (c.nbf = nowS + 120))).toBe('lti_token_invalid');
  });

  it('refuses a token without exp, iat or nonce', () => {
    expect(codeFor((c) => void delete c.exp)).toBe('lti_token_expired');
    expect(codeFor((c) => void (c.exp = String(nowS + 300)))).toBe('lti_token_expired');
    expect(codeFor((c) => void delete c.iat)).toBe('lti_token_invalid');
    expect(codeFor((c) => void delete c.nonce)).toBe('lti_token_invalid');
  });

  it('refuses several audiences without azp, an azp for another tool, and audiences Sello does not hold', () => {
    expect(codeFor((c) => void ((c.aud = ['client-1', 'client-2']), delete c.azp))).toBe('lti_audience_invalid');
    expect(codeFor((c) => void (c.aud = ['client-1', 'client-2']))).toBeNull();
    expect(codeFor((c) => void (c.azp = 'client-2'))).toBe('lti_audience_invalid');
    expect(codeFor((c) => void (c.aud = ['client-1', 'stranger']))).toBe('lti_audience_invalid');
    expect(codeFor((c) => void (c.aud = []))).toBe('lti_audience_invalid');
  });

  it('refuses roles that are not an array of texts, and oversized identifiers and texts', () => {
    expect(codeFor((c) => void (c[CLAIM.roles] = 'Instructor'))).toBe('lti_claims_invalid');
    expect(codeFor((c) => void (c[CLAIM.roles] = [{ role: 'Instructor' }]))).toBe('lti_claims_invalid');
    expect(codeFor((c) => void (c.sub = 's'.repeat(256)))).toBe('lti_claims_invalid');
    expect(codeFor((c) => void (c[CLAIM.context] = { id: 'c'.repeat(256) }))).toBe('lti_claims_invalid');
    expect(codeFor((c) => void (c[CLAIM.context] = { title: 'no id' }))).toBe('lti_claims_invalid');
    expect(codeFor((c) => void (c[CLAIM.resourceLink] = { id: '' }))).toBe('lti_claims_invalid');
    expect(codeFor((c) => void (c[CLAIM.deploymentId] = 'd'.repeat(256)))).toBe('lti_claims_invalid');
    expect(codeFor((c) => void (c[CLAIM.custom] = { note: 'x'.repeat(5000) }))).toBe('lti_claims_invalid');
    expect(codeFor((c) => void (c.name = 'Ana '.repeat(100)))).toBeNull();
  });
});
