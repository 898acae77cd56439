import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  InjectionToken,
  ViewEncapsulation,
  effect,
  inject,
  input,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import type { Subscription } from 'rxjs';
import { Icon } from '../../shared/icon.component';
import { clientId, type SessionChannel } from '../session-live.service';

/** The parts of xterm.js this panel uses (so tests can hand in a fake). */
export interface TerminalLike {
  readonly cols: number;
  readonly rows: number;
  open(parent: HTMLElement): void;
  write(data: string): void;
  onData(listener: (data: string) => void): { dispose(): void };
  focus(): void;
  dispose(): void;
}

export interface XtermKit {
  /** A terminal with the fit addon loaded; `fit` sizes it to its container. */
  create(): { terminal: TerminalLike; fit: () => void };
}

/** Loads xterm.js on first use, in its own chunk: nobody pays for it until they open a terminal. */
export const XTERM_LOADER = new InjectionToken<() => Promise<XtermKit>>('XTERM_LOADER', {
  providedIn: 'root',
  factory: () => async () => {
    const [{ Terminal }, { FitAddon }] = await Promise.all([import('@xterm/xterm'), import('@xterm/addon-fit')]);
    return {
      create: () => {
        const terminal = new Terminal({
          cursorBlink: true,
          convertEol: false,
          fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
          fontSize: 13,
          scrollback: 5000,
          theme: { background: '#1e1e24', foreground: '#e6e6e6' },
        });
        const addon = new FitAddon();
        terminal.loadAddon(addon);
        return { terminal, fit: () => addon.fit() };
      },
    };
  },
});

type TerminalState = 'idle' | 'loading' | 'open' | 'exited' | 'lost' | 'failed';

/**
 * A shell in the sandbox. It opens when the tab is shown and closes when the tab goes away (the tab's content is
 * created on demand): keystrokes go out as `terminal_input`, size changes as `terminal_resize`, output comes back as
 * `terminal_output` for this terminal only.
 */
@Component({
  selector: 'app-terminal-panel',
  changeDetection: ChangeDetectionStrategy.OnPush,
  // xterm's own stylesheet must reach the elements xterm creates.
  encapsulation: ViewEncapsulation.None,
  imports: [MatButtonModule, MatProgressSpinnerModule, Icon],
  template: `
    <div class="terminal-panel" data-testid="terminal-panel" [attr.data-state]="state()">
      <div class="terminal-bar">
        @switch (state()) {
          @case ('loading') {
            <mat-progress-spinner mode="indeterminate" diameter="16" aria-hidden="true" />
            <span>Opening a terminal…</span>
          }
          @case ('open') {
            <span class="dot" aria-hidden="true"></span><span>Connected</span>
          }
          @case ('exited') {
            <span data-testid="terminal-exited">The shell exited{{ exitCode() !== null ? ' (code ' + exitCode() + ')' : '' }}.</span>
          }
          @case ('lost') {
            <span>The connection dropped; this terminal is gone.</span>
          }
          @case ('failed') {
            <span class="error" role="alert" data-testid="terminal-error">{{ problem() }}</span>
          }
        }
        <span class="spacer"></span>
        @if (state() === 'exited' || state() === 'lost' || state() === 'failed') {
          <button mat-button type="button" (click)="restart()" data-testid="terminal-restart"><app-icon name="refresh" [size]="16" /> New terminal</button>
        }
      </div>
      @if (!running()) {
        <p class="terminal-note muted" data-testid="terminal-unavailable">The terminal is available while the session's sandbox is running.</p>
      } @else if (!canMutate()) {
        <p class="terminal-note muted" data-testid="terminal-read-only">Only the person who started this session can use its terminal.</p>
      }
      <div class="terminal-host" #host data-testid="terminal" [hidden]="!running() || !canMutate()"></div>
    </div>
  `,
  styles: `
    @use '@xterm/xterm/css/xterm';

    .terminal-panel {
      display: flex;
      flex-direction: column;
      height: 100%;
      min-height: 360px;
    }
    .terminal-bar {
      display: flex;
      align-items: center;
      gap: 8px;
      min-height: 36px;
      font: var(--mat-sys-body-small);
    }
    .terminal-bar .dot {
      width: 8px;
      height: 8px;
      border-radius: 50%;
      background: #2da44e;
    }
    .terminal-bar .error {
      color: var(--mat-sys-error);
    }
    .terminal-host {
      flex: 1;
      min-height: 320px;
      padding: 6px;
      border-radius: 8px;
      background: #1e1e24;
      overflow: hidden;
    }
    .terminal-note {
      margin: 8px 0;
    }
  `,
})
export class TerminalPanel {
  readonly channel = input.required<SessionChannel>();
  readonly running = input(false);
  readonly canMutate = input(false);

  private readonly load = inject(XTERM_LOADER);
  private readonly host = viewChild.required<ElementRef<HTMLElement>>('host');

  protected readonly state = signal<TerminalState>('idle');
  protected readonly problem = signal<string | null>(null);
  protected readonly exitCode = signal<number | null>(null);

  private session: { id: string; terminal: TerminalLike; cleanup: () => void } | null = null;
  private destroyed = false;

  constructor() {
    effect(() => {
      if (this.running() && this.canMutate() && this.state() === 'idle') untracked(() => void this.start());
    });
    // Terminals belong to the connection that opened them: after a drop, this one is gone.
    effect(() => {
      if (this.channel().sync() === 'connecting' && untracked(this.state) === 'open') untracked(() => this.state.set('lost'));
    });
    inject(DestroyRef).onDestroy(() => {
      this.destroyed = true;
      this.stop();
    });
  }

  protected restart(): void {
    this.stop();
    this.state.set('idle');
  }

  private async start(): Promise<void> {
    this.state.set('loading');
    this.problem.set(null);
    this.exitCode.set(null);
    let kit: XtermKit;
    try {
      kit = await this.load();
    } catch {
      this.fail('The terminal could not be loaded. Reload the page and try again.');
      return;
    }
    if (this.destroyed) return;
    const channel = this.channel();
    const host = this.host().nativeElement;
    const { terminal, fit } = kit.create();
    terminal.open(host);
    safeFit(fit);
    const id = clientId('term');
    const subs: Subscription[] = [];
    const input = terminal.onData((data) => channel.terminalInput(id, data));
    subs.push(
      channel.terminal$.subscribe((update) => {
        if (update.terminalId !== id) return;
        if (update.type === 'terminal_output') terminal.write(update.data);
        else {
          this.exitCode.set(update.exitCode);
          this.state.set('exited');
        }
      }),
    );
    let size = { cols: terminal.cols, rows: terminal.rows };
    let resizeTimer: ReturnType<typeof setTimeout> | null = null;
    const observer = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => {
      if (resizeTimer) clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        safeFit(fit);
        if (terminal.cols !== size.cols || terminal.rows !== size.rows) {
          size = { cols: terminal.cols, rows: terminal.rows };
          channel.terminalResize(id, size.cols, size.rows);
        }
      }, 100);
    });
    observer?.observe(host);
    this.session = {
      id,
      terminal,
      cleanup: () => {
        if (resizeTimer) clearTimeout(resizeTimer);
        observer?.disconnect();
        input.dispose();
        for (const s of subs) s.unsubscribe();
        terminal.dispose();
      },
    };
    if (!channel.terminalOpen(id, clamp(size.cols), clamp(size.rows))) {
      this.fail('Not connected. Wait for the connection to come back, then open a new terminal.');
      return;
    }
    this.state.set('open');
    terminal.focus();
  }

  private fail(message: string): void {
    this.problem.set(message);
    this.state.set('failed');
  }

  private stop(): void {
    const session = this.session;
    this.session = null;
    if (!session) return;
    if (this.state() === 'open') this.channel().terminalClose(session.id);
    session.cleanup();
  }
}

/** A hidden or detached container has no size: fitting then throws or gives nonsense. */
function safeFit(fit: () => void): void {
  try {
    fit();
  } catch {
    // Keep the terminal's current size.
  }
}

function clamp(n: number): number {
  return Math.min(1000, Math.max(2, Math.floor(n) || 80));
}
