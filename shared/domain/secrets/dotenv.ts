import { ENV_KEY_PATTERN } from '../../contracts/sandbox-api';

/**
 * The `.env` format, both ways: what a person pastes into the bulk import, and what the daemon writes into a
 * sandbox's env files. Pure functions: the daemon bundle carries them too.
 *
 * Read: `KEY=VALUE` per line, an optional `export ` prefix, blank lines and `#` comments ignored. A value is
 * - unquoted: trimmed, ending at a `#` that follows whitespace (an inline comment);
 * - 'single-quoted': taken literally, may span lines;
 * - "double-quoted": `\n`, `\r`, `\t`, `\"` and `\\` are escapes, may span lines.
 * Nothing is expanded (`$OTHER` stays as written). A line that is none of these is an error naming its number.
 */

export interface DotenvEntry {
  key: string;
  value: string;
  /** 1-based line where the entry starts. */
  line: number;
}

export interface DotenvProblem {
  line: number;
  message: string;
}

export interface ParsedDotenv {
  entries: DotenvEntry[];
  problems: DotenvProblem[];
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

export function parseDotenv(text: string): ParsedDotenv {
  const lines = text.split(/\r?\n/);
  const entries: DotenvEntry[] = [];
  const problems: DotenvProblem[] = [];
  const firstLine = new Map<string, number>();

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const trimmed = lines[i].trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const body = trimmed.replace(/^export\s+/, '');
    const eq = body.indexOf('=');
    if (eq < 0) {
      problems.push({ line: lineNo, message: 'expected KEY=VALUE' });
      continue;
    }
    const key = body.slice(0, eq).trim();
    if (!ENV_KEY_PATTERN.test(key)) {
      // The text is not echoed: a line that is not KEY=VALUE may well be a value (a URL with a password).
      problems.push({ line: lineNo, message: 'the key is not a variable name (letters, digits and _, not starting with a digit)' });
      continue;
    }
    const rest = body.slice(eq + 1).replace(/^\s+/, '');
    const quote = rest[0];
    let value: string;
    if (quote === '"' || quote === "'") {
      // The value may go on over the following lines until its closing quote.
      const read = readQuoted(quote, rest.slice(1), lines, i);
      if ('error' in read) {
        problems.push({ line: lineNo, message: read.error });
        i = read.lastLine;
        continue;
      }
      i = read.lastLine;
      value = read.value;
    } else {
      value = rest.replace(/(^|\s)#.*$/, '').trim();
    }
    if (firstLine.has(key)) {
      problems.push({ line: lineNo, message: `${key} is already set on line ${firstLine.get(key)}` });
      continue;
    }
    firstLine.set(key, lineNo);
    entries.push({ key, value, line: lineNo });
  }
  return { entries, problems };
}

function readQuoted(
  quote: '"' | "'",
  first: string,
  lines: string[],
  start: number,
): { value: string; lastLine: number } | { error: string; lastLine: number } {
  let out = '';
  let text = first;
  let at = start;
  for (;;) {
    for (let j = 0; j < text.length; j++) {
      const ch = text[j];
      if (quote === '"' && ch === '\\' && j + 1 < text.length) {
        const next = text[j + 1];
        out += ESCAPES[next] ?? `\\${next}`;
        j++;
        continue;
      }
      if (ch === quote) {
        const after = text.slice(j + 1).trim();
        if (after !== '' && !after.startsWith('#')) return { error: 'unexpected text after the closing quote', lastLine: at };
        return { value: out, lastLine: at };
      }
      out += ch;
    }
    if (at + 1 >= lines.length) return { error: `the value has no closing ${quote}`, lastLine: lines.length - 1 };
    at++;
    out += '\n';
    text = lines[at];
  }
}

/** `KEY=value` as the parser reads it back: bare when the value is plainly safe, double-quoted and escaped otherwise. */
export function dotenvLine(key: string, value: string): string {
  if (/^[\w.,:/@+-]*$/.test(value)) return `${key}=${value}`;
  return `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

/** A whole file of `KEY=value` lines. */
export function formatDotenv(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => `${dotenvLine(k, v)}\n`)
    .join('');
}
