import type { FileDiff } from '../api/session-events';

export type DiffLineKind = 'add' | 'del' | 'ctx' | 'hunk';

export interface DiffLine {
  kind: DiffLineKind;
  text: string;
  oldNo: number | null;
  newNo: number | null;
}

export interface RenderedDiff {
  path: string;
  lines: DiffLine[];
  added: number;
  removed: number;
  /** A new file (no old text). */
  created: boolean;
}

const CONTEXT = 3;
/** Above this many cells the line-by-line comparison is skipped and the change shown as a whole replacement. */
const MAX_CELLS = 4_000_000;

/** A file change as unified-diff lines: from the agent's own unified text when it sent one, else computed. */
export function renderDiff(diff: FileDiff): RenderedDiff {
  const lines = diff.unified ? parseUnified(diff.unified) : unifiedLines(splitLines(diff.oldText ?? ''), splitLines(diff.newText));
  return {
    path: diff.path,
    lines,
    added: lines.filter((l) => l.kind === 'add').length,
    removed: lines.filter((l) => l.kind === 'del').length,
    created: diff.oldText === null,
  };
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Reads a unified diff: `@@` headers, `+`/`-`/` ` lines; file headers (`---`/`+++`, `diff`, `index`) are skipped. */
export function parseUnified(text: string): DiffLine[] {
  const out: DiffLine[] = [];
  let oldNo = 0;
  let newNo = 0;
  for (const line of splitLines(text)) {
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      oldNo = Number(hunk[1]);
      newNo = Number(hunk[2]);
      out.push({ kind: 'hunk', text: line, oldNo: null, newNo: null });
    } else if (line.startsWith('+++') || line.startsWith('---') || line.startsWith('diff ') || line.startsWith('index ')) {
      continue;
    } else if (line.startsWith('+')) {
      out.push({ kind: 'add', text: line.slice(1), oldNo: null, newNo: newNo++ });
    } else if (line.startsWith('-')) {
      out.push({ kind: 'del', text: line.slice(1), oldNo: oldNo++, newNo: null });
    } else if (line.startsWith('\\')) {
      continue; // "\ No newline at end of file"
    } else {
      out.push({ kind: 'ctx', text: line.startsWith(' ') ? line.slice(1) : line, oldNo: oldNo++, newNo: newNo++ });
    }
  }
  return out;
}

type Op = { kind: 'add' | 'del' | 'ctx'; text: string };

/** The edit script from `a` to `b`: a longest common subsequence on the lines between a shared head and tail. */
export function diffLines(a: string[], b: string[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const ops: Op[] = a.slice(0, head).map((text) => ({ kind: 'ctx', text }));
  if (midA.length * midB.length > MAX_CELLS) {
    for (const text of midA) ops.push({ kind: 'del', text });
    for (const text of midB) ops.push({ kind: 'add', text });
  } else {
    ops.push(...lcs(midA, midB));
  }
  for (const text of a.slice(a.length - tail)) ops.push({ kind: 'ctx', text });
  return ops;
}

function lcs(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  // lengths[i][j]: LCS length of a[i..] and b[j..], in one flat array.
  const width = m + 1;
  const lengths = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i * width + j] = a[i] === b[j] ? lengths[(i + 1) * width + j + 1] + 1 : Math.max(lengths[(i + 1) * width + j], lengths[i * width + j + 1]);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      ops.push({ kind: 'ctx', text: a[i++] });
      j++;
    } else if (lengths[(i + 1) * width + j] >= lengths[i * width + j + 1]) {
      ops.push({ kind: 'del', text: a[i++] });
    } else {
      ops.push({ kind: 'add', text: b[j++] });
    }
  }
  while (i < n) ops.push({ kind: 'del', text: a[i++] });
  while (j < m) ops.push({ kind: 'add', text: b[j++] });
  return ops;
}

/** Unified-diff lines with hunks of three lines of context, as `diff -u` shows them. */
export function unifiedLines(a: string[], b: string[]): DiffLine[] {
  const ops = diffLines(a, b);
  const numbered = numberOps(ops);
  const changed = numbered.map((l, i) => (l.kind === 'ctx' ? -1 : i)).filter((i) => i >= 0);
  if (changed.length === 0) return [];
  // Group changes whose context overlaps into hunks.
  const ranges: [number, number][] = [];
  for (const i of changed) {
    const start = Math.max(0, i - CONTEXT);
    const end = Math.min(numbered.length - 1, i + CONTEXT);
    const last = ranges[ranges.length - 1];
    if (last && start <= last[1] + 1) last[1] = Math.max(last[1], end);
    else ranges.push([start, end]);
  }
  const out: DiffLine[] = [];
  for (const [start, end] of ranges) {
    const slice = numbered.slice(start, end + 1);
    const oldStart = firstNumber(numbered, start, 'oldNo');
    const newStart = firstNumber(numbered, start, 'newNo');
    const oldCount = slice.filter((l) => l.kind !== 'add').length;
    const newCount = slice.filter((l) => l.kind !== 'del').length;
    out.push({ kind: 'hunk', text: `@@ -${oldCount ? oldStart : oldStart - 1},${oldCount} +${newCount ? newStart : newStart - 1},${newCount} @@`, oldNo: null, newNo: null });
    out.push(...slice);
  }
  return out;
}

function numberOps(ops: Op[]): DiffLine[] {
  let oldNo = 1;
  let newNo = 1;
  return ops.map((op) => {
    if (op.kind === 'ctx') return { kind: 'ctx', text: op.text, oldNo: oldNo++, newNo: newNo++ };
    if (op.kind === 'del') return { kind: 'del', text: op.text, oldNo: oldNo++, newNo: null };
    return { kind: 'add', text: op.text, oldNo: null, newNo: newNo++ };
  });
}

/** The line number a hunk starting at `index` begins with on one side (the next numbered line on that side). */
function firstNumber(lines: DiffLine[], index: number, side: 'oldNo' | 'newNo'): number {
  for (let i = index; i < lines.length; i++) {
    const n = lines[i][side];
    if (n !== null) return n;
  }
  // Nothing on this side after the index: the hunk sits after the last line of that side.
  let last = 0;
  for (let i = index - 1; i >= 0; i--) {
    const n = lines[i][side];
    if (n !== null) {
      last = n;
      break;
    }
  }
  return last + 1;
}
