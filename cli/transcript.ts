import type { LoggedEvent, SessionEvent } from '../shared/contracts/session-events';

/**
 * A session's events as terminal text. Pure: events go in, text comes out, nothing is written anywhere; the same
 * events always give the same text, whether they arrived live (token by token) or from a compacted replay (where the
 * token frames are gone and `text_part_complete` carries the whole text).
 *
 *   I'll write the file.
 *   ✓ Write notes.txt
 *       +1 -0 notes.txt
 *   ▶ Run cat notes.txt            (a command's header, printed when its output starts to stream)
 *       hello                      (its output, indented)
 *   ✓ Run cat notes.txt
 *   Done.
 */

export interface TranscriptOptions {
  /** Show people's prompts (`session log`); a chat leaves them out (the person just typed theirs). */
  prompts?: boolean;
  /**
   * Where status changes, errors, snapshots, git results and the like go: into the transcript (`inline`, for
   * `session log`), or to stderr (`stderr`, for a chat, whose stdout is the agent's reply). With `stderr`, status
   * changes are left to the caller, which knows what they mean for the turn it waits for.
   */
  notices?: 'inline' | 'stderr';
  /** ANSI colours for a terminal. */
  color?: boolean;
}

export interface Rendered {
  out: string;
  err: string;
}

type Event<T extends SessionEvent['type']> = Extract<SessionEvent, { type: T }>;
type FileDiff = NonNullable<Event<'tool_end'>['diffs']>[number];

interface ToolState {
  title: string;
  kind: string;
  /** The `▶ title` line has been printed (output streamed). */
  headerShown: boolean;
  streamed: boolean;
  ended: boolean;
  diffs: Map<string, FileDiff>;
}

const INDENT = '    ';
/** A failed tool's result (its error) is shown up to this many lines. */
const FAILURE_LINES = 12;

export class Transcript {
  /** The highest sequence number rendered; anything at or below it is a duplicate and is skipped. */
  lastSeq = 0;
  private readonly parts = new Map<string, { printed: string; complete: boolean }>();
  private readonly tools = new Map<string, ToolState>();
  /** Who wrote the current (unfinished) stdout line: a text part or a tool's output. */
  private owner: string | null = null;
  private col0 = true;
  private wroteAnything = false;
  /** The last two characters written to stdout, to keep blank lines single. */
  private tail = '';
  private buf: Rendered = { out: '', err: '' };

  constructor(private readonly options: TranscriptOptions = {}) {}

  /** True when stdout's cursor is at the start of a line (nothing half-written). */
  get atLineStart(): boolean {
    return this.col0;
  }

  /** What the agent is doing now, as far as the events tell: running a tool, writing text, or neither. */
  activity(): { tool?: string; writing: boolean } {
    const running = [...this.tools.values()].filter((t) => !t.ended).at(-1);
    const writing = [...this.parts.values()].some((p) => !p.complete && p.printed.length > 0);
    return { tool: running?.title, writing };
  }

  /** Renders events in sequence order; ones already rendered (same or lower seq) are skipped. */
  push(events: LoggedEvent[]): Rendered {
    for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
      if (e.seq <= this.lastSeq) continue;
      this.lastSeq = e.seq;
      this.event(e.event);
    }
    return this.take();
  }

  /** The end of what will be shown: finishes the current line and lists tools still running. */
  finish(): Rendered {
    for (const t of this.tools.values()) {
      if (!t.ended) this.line(`${this.style('dim', '…')} ${t.title} ${this.style('dim', '(still running)')}`);
    }
    this.endLine();
    return this.take();
  }

  private take(): Rendered {
    const r = this.buf;
    this.buf = { out: '', err: '' };
    return r;
  }

  private event(e: SessionEvent): void {
    switch (e.type) {
      case 'user_message':
        if (!this.options.prompts) return;
        if (this.wroteAnything) this.blank();
        for (const l of e.content.replace(/\s+$/, '').split('\n')) this.line(this.style('bold', `> ${l}`.trimEnd()));
        this.blank();
        return;
      case 'message':
      case 'thought':
        return;
      case 'token': {
        const part = this.part(e.partId);
        if (part.complete) return;
        part.printed += e.text;
        this.text(`part:${e.partId}`, e.text);
        return;
      }
      case 'text_part_complete': {
        const part = this.part(e.partId);
        if (part.complete) return;
        part.complete = true;
        // Live, the tokens printed a prefix of the text (or all of it); in a compacted replay they are gone.
        if (e.text.startsWith(part.printed)) this.text(`part:${e.partId}`, e.text.slice(part.printed.length));
        if (this.owner === `part:${e.partId}`) this.endLine();
        return;
      }
      case 'tool_start': {
        const known = this.tools.get(e.toolCallId);
        if (known) return;
        this.tools.set(e.toolCallId, { title: oneLine(e.title), kind: e.kind ?? 'other', headerShown: false, streamed: false, ended: false, diffs: new Map() });
        return;
      }
      case 'tool_metadata': {
        const tool = this.tool(e.toolCallId);
        if (tool.ended) return;
        if (e.title && !tool.headerShown) tool.title = oneLine(e.title);
        for (const d of e.diffs ?? []) tool.diffs.set(d.path, d);
        if (e.output) this.toolOutput(e.toolCallId, tool, e.output);
        return;
      }
      case 'tool_end': {
        const tool = this.tool(e.toolCallId);
        if (tool.ended) return;
        tool.ended = true;
        for (const d of e.diffs ?? []) tool.diffs.set(d.path, d);
        const ok = e.status === 'completed';
        this.line(`${ok ? this.style('green', '✓') : this.style('red', '✗')} ${tool.title}`);
        for (const d of tool.diffs.values()) {
          const s = diffStat(d);
          this.line(`${INDENT}${this.style('green', `+${s.added}`)} ${this.style('red', `-${s.removed}`)} ${d.path}`);
        }
        if (!tool.streamed && e.result) {
          // A command's output that came all at once (not streamed) is shown like streamed output; any failure says why.
          if (tool.kind === 'execute') this.indented(e.result);
          else if (!ok) this.indented(firstLines(e.result, FAILURE_LINES));
        }
        return;
      }
      case 'message_complete':
        this.endLine();
        return;
      case 'message_cancelled':
        this.notice('Cancelled.');
        return;
      case 'status':
        if (this.options.notices === 'stderr') return;
        this.notice(statusText(e));
        return;
      case 'error':
        this.notice(`Error: ${e.message}`, 'red');
        return;
      case 'snapshot_result':
        this.notice(e.success ? `Snapshot saved (${e.target}).` : `Snapshot failed: ${e.error ?? 'unknown error'}`, e.success ? 'dim' : 'red');
        return;
      case 'git_result':
        this.notice(`git ${e.action}: ${e.success ? '' : `${e.code} `}${oneLine(e.message)}${e.prUrl ? ` ${e.prUrl}` : ''}`, e.success ? 'dim' : 'red');
        return;
      case 'preview_url':
        this.notice(`Preview of port ${e.port}: ${e.url}`);
        return;
      case 'title_update':
        this.notice(`Title: ${e.title}`);
        return;
      default:
        // An event type this CLI does not know yet: the transcript goes on without it.
        return;
    }
  }

  private part(partId: string) {
    let part = this.parts.get(partId);
    if (!part) this.parts.set(partId, (part = { printed: '', complete: false }));
    return part;
  }

  /** A tool seen first through its metadata or end (its start was missed): shown with a generic title. */
  private tool(toolCallId: string): ToolState {
    let tool = this.tools.get(toolCallId);
    if (!tool) this.tools.set(toolCallId, (tool = { title: 'Tool call', kind: 'other', headerShown: false, streamed: false, ended: false, diffs: new Map() }));
    return tool;
  }

  private toolOutput(toolCallId: string, tool: ToolState, output: string): void {
    const owner = `tool:${toolCallId}`;
    if (this.owner !== owner) {
      // The header again when another writer came in between, so the output is never attributed to the wrong tool.
      this.line(`${this.style('cyan', '▶')} ${tool.title}`);
      tool.headerShown = true;
    }
    tool.streamed = true;
    this.owner = owner;
    this.writeIndented(normalizeNewlines(output));
  }

  /** A whole block of output, indented, on its own lines. */
  private indented(text: string): void {
    this.endLine();
    this.writeIndented(normalizeNewlines(text));
    this.endLine();
  }

  private writeIndented(text: string): void {
    for (const piece of text.split(/(\n)/)) {
      if (piece === '\n') this.write('\n');
      else if (piece) this.write(this.col0 ? INDENT + piece : piece);
    }
  }

  /** Streamed text of a part: written as it comes, on the part's own line. */
  private text(owner: string, text: string): void {
    if (!text) return;
    if (this.owner !== owner) this.endLine();
    this.owner = owner;
    this.write(text);
  }

  private notice(text: string, color: Style = 'dim'): void {
    if (this.options.notices === 'stderr') this.buf.err += `${text}\n`;
    else this.line(this.style(color, `· ${text}`));
  }

  private line(text: string): void {
    this.endLine();
    this.write(`${text}\n`);
    this.owner = null;
  }

  private blank(): void {
    this.endLine();
    if (this.wroteAnything && this.tail !== '\n\n') this.write('\n');
  }

  private endLine(): void {
    if (!this.col0) this.write('\n');
    this.owner = null;
  }

  private write(text: string): void {
    if (!text) return;
    this.buf.out += text;
    this.col0 = text.endsWith('\n');
    this.tail = (this.tail + text).slice(-2);
    this.wroteAnything = true;
  }

  private style(style: Style, text: string): string {
    return this.options.color ? `${STYLES[style]}${text}\x1b[0m` : text;
  }
}

type Style = 'dim' | 'bold' | 'green' | 'red' | 'cyan';
const STYLES: Record<Style, string> = { dim: '\x1b[2m', bold: '\x1b[1m', green: '\x1b[32m', red: '\x1b[31m', cyan: '\x1b[36m' };

function statusText(e: Event<'status'>): string {
  switch (e.status) {
    case 'starting':
      return e.message ?? 'Starting the sandbox';
    case 'running':
      return 'Sandbox running';
    case 'paused':
      return `Paused${e.pauseReason ? ` (${e.pauseReason})` : ''}`;
    case 'stopped':
      return `Session ended${e.message ? ` (${e.message})` : ''}`;
    case 'failed':
      return `Sandbox failed${e.message ? `: ${e.message}` : ''}`;
    default:
      return `Sandbox ${e.status}${e.message ? `: ${e.message}` : ''}`;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function normalizeNewlines(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(/\r/g, '\n');
}

function firstLines(text: string, n: number): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  return lines.length <= n ? lines.join('\n') : `${lines.slice(0, n).join('\n')}\n… (${lines.length - n} more lines)`;
}

/** Lines of a text, without the empty string after a final newline. */
function lines(text: string): string[] {
  if (text === '') return [];
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  return all;
}

/** Above this many cells the line diff is estimated (everything between the common head and tail counts as changed). */
const MAX_DIFF_CELLS = 4_000_000;

/**
 * Lines added and removed by a file change: from its unified diff when it has one, otherwise a line diff of the old
 * and new text (a longest common subsequence over what is left after the common head and tail).
 */
export function diffStat(diff: { oldText: string | null; newText: string; unified?: string }): { added: number; removed: number } {
  if (diff.unified) {
    let added = 0;
    let removed = 0;
    for (const l of diff.unified.split('\n')) {
      if (l.startsWith('+++') || l.startsWith('---')) continue;
      if (l.startsWith('+')) added++;
      else if (l.startsWith('-')) removed++;
    }
    return { added, removed };
  }
  const a = lines(diff.oldText ?? '');
  const b = lines(diff.newText);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  if (x.length === 0 || y.length === 0 || x.length * y.length > MAX_DIFF_CELLS) return { added: y.length, removed: x.length };
  // Longest common subsequence, one row at a time.
  let prev = new Uint32Array(y.length + 1);
  let row = new Uint32Array(y.length + 1);
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) row[j] = x[i - 1] === y[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], row[j - 1]);
    [prev, row] = [row, prev];
  }
  const common = prev[y.length];
  return { added: y.length - common, removed: x.length - common };
}
