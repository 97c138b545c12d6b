import { describe, expect, it } from 'vitest';
import { parseLinkHeader, retryAfterMs } from '../../src/lti/service-client.ts';
import { serviceUrl } from '../../src/lti/services.ts';
import { isInstructorRole, isLearnerRole, roleName } from '../../src/lti/claims.ts';
import { buildRegistrationRequest } from '../../src/lti/tool-configuration.ts';
import { badgeResourceLink } from '../../src/lti/deep-linking.ts';
import { badgeColumnLabel } from '../../src/lti/badge-line-item.ts';
import { parseWalletAddress } from '../../src/chain/link-wallet.ts';
import type { Achievement } from '../../src/storage/achievement-repository.ts';

describe('LTI protocol helpers', () => {
  it('reads next and differences links from a Link header, quoted or not, in any order', () => {
    expect(parseLinkHeader('<https://lms/x?page=2>; rel="next", <https://lms/x?since=1>; rel=differences')).toEqual({
      next: 'https://lms/x?page=2',
      differences: 'https://lms/x?since=1',
    });
    expect(parseLinkHeader('<https://lms/a,b>; rel="first prev"')).toEqual({ first: 'https://lms/a,b', prev: 'https://lms/a,b' });
    expect(parseLinkHeader(null)).toEqual({});
  });

  it('turns Retry-After seconds or an HTTP date into milliseconds', () => {
    expect(retryAfterMs('3', 0)).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs('soon', 0)).toBeNull();
    expect(retryAfterMs(null, 0)).toBeNull();
  });

  it('adds /scores and /results to a line item URL before its query string', () => {
    expect(serviceUrl('https://lms/lineitems/7?type_id=3', '/scores')).toBe('https://lms/lineitems/7/scores?type_id=3');
    expect(serviceUrl('https://lms/lineitems/7/', '/results')).toBe('https://lms/lineitems/7/results');
  });

  it('routes Instructor, TeachingAssistant, ContentDeveloper and Administrator to the instructor app', () => {
    const v = 'http://purl.imsglobal.org/vocab/lis/v2/';
    expect(isInstructorRole([`${v}membership#Instructor`])).toBe(true);
    expect(isInstructorRole([`${v}membership/Instructor#TeachingAssistant`])).toBe(true);
    expect(isInstructorRole([`${v}membership#ContentDeveloper`])).toBe(true);
    expect(isInstructorRole([`${v}institution/person#Administrator`])).toBe(true);
    expect(isInstructorRole([`${v}membership#Learner`, `${v}institution/person#Student`])).toBe(false);
    expect(isLearnerRole([`${v}membership#Learner`])).toBe(true);
    expect(roleName('Instructor')).toBe('Instructor');
  });

  it('asks a platform only for the scopes it says it supports', () => {
    const body = buildRegistrationRequest({
      publicUrl: 'https://sello.example',
      name: 'Sello',
      description: 'd',
      scopesSupported: ['openid', 'https://purl.imsglobal.org/spec/lti-ags/scope/score'],
    });
    expect(body.scope).toBe('https://purl.imsglobal.org/spec/lti-ags/scope/score');
    expect(body.initiate_login_uri).toBe('https://sello.example/lti/login');
  });

  it('describes a badge as an LTI resource link with a 100-point line item keyed by the achievement', () => {
    const achievement = { id: 'a1', name: 'Lab', description: '', imageUrl: null } as unknown as Achievement;
    expect(badgeResourceLink({ achievement, launchUrl: 'https://sello/lti/launch' })).toEqual({
      type: 'ltiResourceLink',
      title: 'Lab',
      text: undefined,
      url: 'https://sello/lti/launch',
      lineItem: { label: 'Badge: Lab', scoreMaximum: 100, resourceId: 'a1', tag: 'sello-badge' },
      custom: { achievement_id: 'a1' },
    });
  });

  it("titles a badge's gradebook column in the achievement's language", () => {
    const spanish = { id: 'a2', name: 'Laboratorio seguro', description: '', imageUrl: null, inLanguage: 'es' } as unknown as Achievement;
    expect(badgeResourceLink({ achievement: spanish, launchUrl: 'https://sello/lti/launch' }).lineItem).toMatchObject({ label: 'Insignia: Laboratorio seguro' });
    expect(badgeColumnLabel({ name: 'Lab', inLanguage: 'es-CR' })).toBe('Insignia: Lab');
    expect(badgeColumnLabel({ name: 'Lab', inLanguage: 'en' })).toBe('Badge: Lab');
    // A language Sello has no word for keeps the English one.
    expect(badgeColumnLabel({ name: 'Labo', inLanguage: 'fr' })).toBe('Badge: Labo');
  });

  it('accepts a wallet address only in its EIP-55 checksummed form', () => {
    expect(parseWalletAddress('0x52908400098527886E0F7030069857D2E4169EE7')).toBe('0x52908400098527886E0F7030069857D2E4169EE7');
    for (const bad of ['0x52908400098527886e0f7030069857d2e4169ee7', '0x52908400098527886E0F7030069857D2e4169EE7', '52908400098527886e0f7030069857d2e4169ee7', '0x1234']) {
      expect(() => parseWalletAddress(bad)).toThrowError(expect.objectContaining({ code: 'invalid_wallet_address' }));
    }
  });
});
