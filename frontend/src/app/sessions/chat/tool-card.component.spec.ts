import { TestBed } from '@angular/core/testing';
import type { ToolCall } from '../session-state';
import { ToolCard } from './tool-card.component';

const base: ToolCall = {
  toolCallId: 't1',
  tool: 'run_command',
  title: 'Run npm test',
  kind: 'execute',
  args: { command: 'npm test' },
  status: 'running',
  output: 'PASS a.spec\n',
  result: null,
  diffs: [],
  durationMs: null,
  at: '2026-01-01T00:00:00.000Z',
};

describe('ToolCard', () => {
  async function render(tool: ToolCall) {
    const fixture = TestBed.createComponent(ToolCard);
    fixture.componentRef.setInput('tool', tool);
    await fixture.whenStable();
    const root = fixture.nativeElement as HTMLElement;
    return { fixture, root, q: (id: string) => root.querySelector(`[data-testid="${id}"]`) };
  }

  it('shows streamed output while running, with a spinner and the kind icon', async () => {
    const { q } = await render(base);
    expect(q('tool-card')?.getAttribute('data-status')).toBe('running');
    expect(q('tool-card-output')?.textContent).toBe('PASS a.spec\n');
    expect(q('tool-card-state')?.querySelector('mat-progress-spinner')).not.toBeNull();
  });

  it('once done, collapses, and shows the result once when it repeats the output', async () => {
    const { fixture, q } = await render({ ...base, status: 'completed', result: 'Exit code: 0\nPASS a.spec\n', durationMs: 1500 });
    expect(q('tool-card-output')).toBeNull();
    expect(q('tool-card-toggle')?.getAttribute('aria-expanded')).toBe('false');
    (q('tool-card-toggle') as HTMLButtonElement).click();
    await fixture.whenStable();
    expect(q('tool-card-output')).toBeNull();
    expect(q('tool-card-result')?.textContent).toContain('Exit code: 0');
    expect(q('tool-card-state')?.textContent).toContain('2s');
  });

  it('keeps a failed call and one with file changes open, with its diff', async () => {
    const { q, root } = await render({ ...base, kind: 'edit', status: 'failed', output: '', result: 'denied', diffs: [{ path: 'a.ts', oldText: 'x\n', newText: 'y\n' }] });
    expect(q('tool-card-result')?.textContent).toBe('denied');
    expect(q('diff-path')?.textContent).toBe('a.ts');
    expect([...root.querySelectorAll('[data-testid="diff-line"]')].map((l) => l.getAttribute('data-kind'))).toEqual(['hunk', 'del', 'add']);
  });
});
