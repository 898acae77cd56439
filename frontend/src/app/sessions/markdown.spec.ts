import { renderMarkdown } from './markdown';

function dom(html: string): HTMLElement {
  const div = document.createElement('div');
  div.innerHTML = html;
  return div;
}

describe('renderMarkdown', () => {
  it('renders markdown: emphasis, lists, code blocks with their language, tables', () => {
    const html = renderMarkdown('**Done.** See `a.ts`:\n\n- one\n- two\n\n```ts\nconst x = 1;\n```\n\n| a | b |\n| - | - |\n| 1 | 2 |');
    const root = dom(html);
    expect(root.querySelector('strong')?.textContent).toBe('Done.');
    expect(root.querySelectorAll('li')).toHaveLength(2);
    expect(root.querySelector('pre code')?.className).toBe('language-ts');
    expect(root.querySelector('table td')?.textContent).toBe('1');
  });

  it('removes script tags and their content', () => {
    const root = dom(renderMarkdown('Hello <script>alert(1)</script> world\n\n<script>steal()</script>'));
    expect(root.querySelector('script')).toBeNull();
    expect(root.textContent).not.toContain('alert');
    expect(root.textContent).not.toContain('steal');
    expect(root.textContent).toContain('Hello');
  });

  it('removes images (markdown and HTML), iframes, styles and inline handlers', () => {
    const root = dom(
      renderMarkdown('![pixel](https://evil.test/p.png)\n\n<img src=x onerror="alert(1)">\n\n<iframe src="https://evil.test"></iframe>\n\n<style>body{}</style><b onclick="x()">bold</b>'),
    );
    expect(root.querySelector('img')).toBeNull();
    expect(root.querySelector('iframe')).toBeNull();
    expect(root.querySelector('style')).toBeNull();
    expect(root.querySelector('b')?.getAttribute('onclick')).toBeNull();
    expect(root.innerHTML).not.toContain('onerror');
  });

  it('drops the address of a javascript: (or any non-http) link, keeping its text', () => {
    const root = dom(renderMarkdown('[click me](javascript:alert(1)) and <a href="data:text/html,x">data</a> and [mail](mailto:a@b.test)'));
    const links = [...root.querySelectorAll('a')];
    expect(links.map((a) => a.getAttribute('href'))).toEqual([null, null, null]);
    expect(root.textContent).toContain('click me');
    expect(root.innerHTML).not.toContain('javascript:');
  });

  it('keeps an https link and opens it in a new tab without access to this one', () => {
    const root = dom(renderMarkdown('Opened [the PR](https://github.com/acme/app/pull/7) and https://example.com/docs'));
    const links = [...root.querySelectorAll('a')];
    expect(links.map((a) => a.getAttribute('href'))).toEqual(['https://github.com/acme/app/pull/7', 'https://example.com/docs']);
    for (const a of links) {
      expect(a.getAttribute('target')).toBe('_blank');
      expect(a.getAttribute('rel')).toContain('noopener');
    }
  });

  it('drops classes other than a code language', () => {
    const root = dom(renderMarkdown('<p class="evil">x</p>'));
    expect(root.querySelector('p')?.getAttribute('class')).toBeNull();
  });
});
