import { describe, expect, it } from 'vitest';
import { addFormTokens } from '../../src/web/form-protection.ts';

describe('form tokens in rendered pages', () => {
  const token = 'T'.repeat(43);

  it('adds the token to every form that posts to Sello, and to none that reads or posts elsewhere', () => {
    const html = [
      '<form method="post" action="/app/learner/privacy"><button>a</button></form>',
      '<form method="get" action="/verify"></form>',
      '<form id="sello-deep-link" method="post" action="https://lms.example/deep-link-return"></form>',
      '<form id="sello-launch" method="post" action="/lti/launch"></form>',
      '<form method="post" action="//evil.example/x"></form>',
      '<form class="card" method="post"></form>',
    ].join('\n');
    const out = addFormTokens(html, token).split('\n');
    expect(out[0]).toBe(`<form method="post" action="/app/learner/privacy"><input type="hidden" name="_csrf" value="${token}"><button>a</button></form>`);
    expect(out.slice(1, 5)).toEqual(html.split('\n').slice(1, 5));
    expect(out[5]).toContain(`name="_csrf" value="${token}"`);
  });

  it('puts the token of a multipart form in its action too, since its body is read after the check', () => {
    const out = addFormTokens('<form method="post" action="/app/achievements/1/image?ltik=abc" enctype="multipart/form-data"></form>', token);
    expect(out).toContain(`action="/app/achievements/1/image?ltik=abc&amp;_csrf=${token}"`);
    expect(out).toContain(`<input type="hidden" name="_csrf" value="${token}">`);
  });

  it('changes nothing outside a request (no token)', () => {
    const html = '<form method="post" action="/demo/grade"></form>';
    expect(addFormTokens(html, null)).toBe(html);
  });
});
