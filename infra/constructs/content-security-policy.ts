import { createHash } from 'node:crypto';

/** `'sha256-…'` sources for every inline `<script>` of a built page (Angular adds one to load its deferred CSS). */
export function inlineScriptHashes(html: string): string[] {
  const hashes = new Set<string>();
  for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    const [, attributes, body] = match;
    if (/\bsrc\s*=/.test(attributes) || !body.trim()) continue;
    hashes.add(`'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`);
  }
  return [...hashes].sort();
}

/**
 * The dashboard's policy: its own origin for scripts (plus the hashed inline ones), data and sockets; inline styles,
 * which Angular's component styles need; images from anywhere over HTTPS (avatars); never framed.
 */
export function contentSecurityPolicy(options: { scriptHashes?: string[]; socketOrigins?: string[]; frameOrigins?: string[] } = {}): string {
  const directives: Record<string, string[]> = {
    'default-src': ["'self'"],
    'script-src': ["'self'", ...(options.scriptHashes ?? [])],
    'style-src': ["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com'],
    'font-src': ["'self'", 'data:', 'https://fonts.gstatic.com'],
    'img-src': ["'self'", 'data:', 'https:'],
    'connect-src': ["'self'", ...(options.socketOrigins ?? [])],
    // The session page frames previews, which live on origins of their own.
    'frame-src': ["'self'", ...(options.frameOrigins ?? [])],
    'frame-ancestors': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    'object-src': ["'none'"],
  };
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ');
}
