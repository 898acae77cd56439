import { diffLines, parseUnified, renderDiff, unifiedLines } from './diff';

describe('diff', () => {
  it('computes the edit script between two texts', () => {
    const ops = diffLines(['a', 'b', 'c', 'd'], ['a', 'B', 'c', 'd', 'e']);
    expect(ops.map((o) => `${o.kind}:${o.text}`)).toEqual(['ctx:a', 'del:b', 'add:B', 'ctx:c', 'ctx:d', 'add:e']);
  });

  it('shows changes with three lines of context and line numbers, in hunks', () => {
    const old = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const next = [...old];
    next[1] = 'changed 2';
    next[17] = 'changed 18';
    const lines = unifiedLines(old, next);
    expect(lines.filter((l) => l.kind === 'hunk').map((l) => l.text)).toEqual(['@@ -1,5 +1,5 @@', '@@ -15,6 +15,6 @@']);
    expect(lines.find((l) => l.kind === 'del')).toEqual({ kind: 'del', text: 'line 2', oldNo: 2, newNo: null });
    expect(lines.find((l) => l.kind === 'add')).toEqual({ kind: 'add', text: 'changed 2', oldNo: null, newNo: 2 });
  });

  it('a new file is all additions', () => {
    const diff = renderDiff({ path: 'new.ts', oldText: null, newText: 'a\nb\n' });
    expect(diff).toMatchObject({ created: true, added: 2, removed: 0 });
    expect(diff.lines[0].text).toBe('@@ -0,0 +1,2 @@');
  });

  it('uses the unified text the agent sent, skipping file headers', () => {
    const diff = renderDiff({
      path: 'a.ts',
      oldText: 'x',
      newText: 'y',
      unified: '--- a/a.ts\n+++ b/a.ts\n@@ -3,2 +3,2 @@\n keep\n-old\n+new\n\\ No newline at end of file\n',
    });
    expect(diff.lines).toEqual([
      { kind: 'hunk', text: '@@ -3,2 +3,2 @@', oldNo: null, newNo: null },
      { kind: 'ctx', text: 'keep', oldNo: 3, newNo: 3 },
      { kind: 'del', text: 'old', oldNo: 4, newNo: null },
      { kind: 'add', text: 'new', oldNo: null, newNo: 4 },
    ]);
    expect(parseUnified('')).toEqual([]);
  });

  it('unchanged text has no hunks', () => {
    expect(unifiedLines(['a'], ['a'])).toEqual([]);
  });
});
