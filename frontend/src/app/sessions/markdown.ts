import DOMPurify, { type Config } from 'dompurify';
import { Marked } from 'marked';

/**
 * Agent text and session summaries are model output: rendered as markdown, then sanitised restrictively. Only
 * text formatting survives (no images, frames, scripts, styles or forms), links must be http(s), and every link
 * opens in a new tab without access to this one.
 */

const marked = new Marked({ gfm: true, breaks: false, async: false });

const ALLOWED_TAGS = [
  'a',
  'b',
  'blockquote',
  'br',
  'code',
  'del',
  'em',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'i',
  'li',
  'ol',
  'p',
  'pre',
  's',
  'strong',
  'table',
  'tbody',
  'td',
  'th',
  'thead',
  'tr',
  'ul',
];

const CONFIG: Config = {
  ALLOWED_TAGS,
  ALLOWED_ATTR: ['href', 'title', 'class', 'start', 'align'],
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  // Unknown tags are dropped with their content only for these; elsewhere their text is kept.
  FORBID_CONTENTS: ['script', 'style', 'iframe', 'object', 'embed', 'template', 'noscript', 'svg', 'math', 'textarea', 'select'],
};

const SAFE_URL = /^https?:\/\//i;

let purifier: ReturnType<typeof DOMPurify> | null = null;

/** A purifier of our own (hooks are per instance), made on first use so nothing runs at import time. */
function getPurifier(): ReturnType<typeof DOMPurify> {
  if (purifier) return purifier;
  const instance = DOMPurify(window);
  instance.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A') {
      const href = node.getAttribute('href')?.trim() ?? '';
      if (SAFE_URL.test(href)) {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer nofollow');
      } else {
        node.removeAttribute('href');
      }
    }
    // Only code blocks keep a class (their language), and only a plain one.
    const cls = node.getAttribute('class');
    if (cls !== null && !(node.tagName === 'CODE' && /^language-[\w+#.-]{1,40}$/.test(cls))) node.removeAttribute('class');
  });
  purifier = instance;
  return instance;
}

/** Markdown to sanitised HTML, safe for `[innerHTML]`. */
export function renderMarkdown(source: string): string {
  if (!source) return '';
  const html = marked.parse(source, { async: false });
  return getPurifier().sanitize(html, { ...CONFIG, RETURN_TRUSTED_TYPE: false }) as string;
}
