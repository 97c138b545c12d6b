import { describe, expect, it } from 'vitest';
import { composeVerifierPage } from '../../../src/verifier/compose-page.ts';

const template = '<head><!--sello:deployment--><!--sello:style--></head><body><!--sello:download--><!--sello:script--></body>';

describe('composeVerifierPage', () => {
  it('inlines script and style verbatim in the standalone page, `$` patterns included', () => {
    const script = "const price = '$&' + '$1' + \"$'\";";
    const html = composeVerifierPage({ form: 'standalone', template, script, style: 'b{color:red}' });
    expect(html).toBe(`<head><style>\nb{color:red}\n</style></head><body><script>\n${script}\n</script></body>`);
  });

  it('refuses to inline code that would close its element early', () => {
    expect(() => composeVerifierPage({ form: 'standalone', template, script: 'x = "</SCRIPT><img src=x>"', style: '' })).toThrowError(/cannot be inlined/);
    expect(() => composeVerifierPage({ form: 'standalone', template, script: 'x = "<!--"', style: '' })).toThrowError(/cannot be inlined/);
    expect(() => composeVerifierPage({ form: 'standalone', template, script: '', style: 'a{}</style>' })).toThrowError(/cannot be inlined/);
  });

  it('links script and style for the served page, and carries the deployment chain as an escaped attribute', () => {
    const html = composeVerifierPage({
      form: 'served',
      template,
      script: 'ignored',
      style: 'ignored',
      scriptUrl: '/verifier/verifier.js?v=1',
      styleUrl: '/verifier/verifier.css?v=1',
      deployment: { chainId: 10, rpcUrl: 'https://sello.example/chain/rpc?a="b"&c=<d>' },
      downloadUrl: '/verifier/download',
    });
    expect(html).toContain('<script src="/verifier/verifier.js?v=1"></script>');
    expect(html).toContain('<link rel="stylesheet" href="/verifier/verifier.css?v=1">');
    expect(html).toContain(
      '<meta name="sello-deployment" content="{&quot;chainId&quot;:10,&quot;rpcUrl&quot;:&quot;https://sello.example/chain/rpc?a=\\&quot;b\\&quot;&amp;c=&lt;d&gt;&quot;}">',
    );
    expect(html).toContain('<a href="/verifier/download" download="sello-verifier.html"');
    expect(html).not.toContain('ignored');
  });
});
