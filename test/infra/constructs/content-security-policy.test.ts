import { createHash } from 'node:crypto';
import { contentSecurityPolicy, inlineScriptHashes } from '../../../infra/constructs/content-security-policy';

describe('content security policy', () => {
  it('hashes each inline script of a page, not the ones loaded from a file', () => {
    const inline = "document.body.dataset.ready='1'";
    const html = `<script src="main.js" type="module"></script><script>${inline}</script><script nonce="x">${inline}</script>`;
    const expected = `'sha256-${createHash('sha256').update(inline).digest('base64')}'`;
    expect(inlineScriptHashes(html)).toEqual([expected]);
  });

  it('allows scripts only from the origin and the given hashes, and is never framed', () => {
    const policy = contentSecurityPolicy({ scriptHashes: ["'sha256-abc'"], socketOrigins: ['wss://app.example.com'] });
    expect(policy).toContain("script-src 'self' 'sha256-abc'");
    expect(policy).toContain("connect-src 'self' wss://app.example.com");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain("'unsafe-eval'");
    expect(policy).not.toMatch(/script-src[^;]*unsafe-inline/);
  });
});
