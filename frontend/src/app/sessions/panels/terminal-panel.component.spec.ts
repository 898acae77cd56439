import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { FakeSocket, fakeSocketProvider } from '../../../testing/fake-socket';
import { settle } from '../../../testing/http';
import { Realtime } from '../../core/realtime.service';
import { SessionLive, type SessionChannel } from '../session-live.service';
import { TerminalPanel, XTERM_LOADER, type TerminalLike } from './terminal-panel.component';

/** Stands in for xterm.js: records what it was given and lets the test type into it. */
class FakeTerminal implements TerminalLike {
  cols = 80;
  rows = 24;
  written: string[] = [];
  opened: HTMLElement | null = null;
  disposed = false;
  private listener: ((data: string) => void) | null = null;
  open(parent: HTMLElement): void {
    this.opened = parent;
  }
  write(data: string): void {
    this.written.push(data);
  }
  onData(listener: (data: string) => void) {
    this.listener = listener;
    return { dispose: () => (this.listener = null) };
  }
  focus(): void {}
  dispose(): void {
    this.disposed = true;
  }
  type(data: string): void {
    this.listener?.(data);
  }
}

@Component({
  imports: [TerminalPanel],
  template: `
    @if (shown()) {
      <app-terminal-panel [channel]="channel" [running]="running()" [canMutate]="true" />
    }
  `,
})
class Host {
  channel!: SessionChannel;
  readonly shown = signal(true);
  readonly running = signal(true);
}

describe('TerminalPanel', () => {
  let terminal: FakeTerminal;
  let socket: FakeSocket;

  beforeEach(() => {
    FakeSocket.all = [];
    terminal = new FakeTerminal();
    TestBed.configureTestingModule({
      providers: [fakeSocketProvider, { provide: XTERM_LOADER, useValue: async () => ({ create: () => ({ terminal, fit: () => undefined }) }) }],
    });
    TestBed.inject(Realtime).connect();
    socket = FakeSocket.last();
    socket.open();
  });

  afterEach(() => TestBed.inject(Realtime).disconnect());

  const sent = () => socket.sent.map((s) => JSON.parse(s) as Record<string, unknown>).filter((m) => m['type'] !== 'subscribe');

  async function render() {
    const fixture = TestBed.createComponent(Host);
    fixture.componentInstance.channel = TestBed.inject(SessionLive).open('ses_1');
    await settle(fixture);
    return fixture;
  }

  it('opens a terminal in the sandbox, relays keystrokes and output, and closes it when the tab goes away', async () => {
    const fixture = await render();
    const root = fixture.nativeElement as HTMLElement;
    expect(terminal.opened).toBe(root.querySelector('[data-testid="terminal"]'));
    const open = sent().find((m) => m['type'] === 'terminal_open')!;
    expect(open).toMatchObject({ sessionId: 'ses_1', cols: 80, rows: 24 });
    const terminalId = open['terminalId'];
    expect(root.querySelector('[data-testid="terminal-panel"]')?.getAttribute('data-state')).toBe('open');

    terminal.type('ls\r');
    expect(sent().at(-1)).toEqual({ type: 'terminal_input', sessionId: 'ses_1', terminalId, data: 'ls\r' });

    socket.receive({ type: 'terminal_output', sessionId: 'ses_1', terminalId, data: 'README.md\r\n' });
    socket.receive({ type: 'terminal_output', sessionId: 'ses_1', terminalId: 'someone-else', data: 'not ours' });
    expect(terminal.written).toEqual(['README.md\r\n']);

    fixture.componentInstance.shown.set(false);
    await settle(fixture);
    expect(sent().at(-1)).toEqual({ type: 'terminal_close', sessionId: 'ses_1', terminalId });
    expect(terminal.disposed).toBe(true);
  });

  it('says when the shell exits, and offers a new terminal', async () => {
    const fixture = await render();
    const terminalId = sent().find((m) => m['type'] === 'terminal_open')!['terminalId'];
    socket.receive({ type: 'terminal_exit', sessionId: 'ses_1', terminalId, exitCode: 0 });
    await settle(fixture);
    const root = fixture.nativeElement as HTMLElement;
    expect(root.querySelector('[data-testid="terminal-exited"]')?.textContent).toContain('code 0');
    expect(root.querySelector('[data-testid="terminal-restart"]')).not.toBeNull();
  });

  it('waits for a running sandbox', async () => {
    const fixture = TestBed.createComponent(Host);
    fixture.componentInstance.channel = TestBed.inject(SessionLive).open('ses_1');
    fixture.componentInstance.running.set(false);
    await settle(fixture);
    expect((fixture.nativeElement as HTMLElement).querySelector('[data-testid="terminal-unavailable"]')).not.toBeNull();
    expect(sent().some((m) => m['type'] === 'terminal_open')).toBe(false);
  });
});
