import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  afterRenderEffect,
  computed,
  effect,
  inject,
  input,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import { rxResource } from '@angular/core/rxjs-interop';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTabsModule } from '@angular/material/tabs';
import { MatTooltipModule } from '@angular/material/tooltip';
import { Title } from '@angular/platform-browser';
import { Router, RouterLink } from '@angular/router';
import { firstValueFrom, map } from 'rxjs';
import { Api } from '../api/api.service';
import { toApiError } from '../api/api-error';
import { SessionStore } from '../core/session.store';
import { ConfirmDialog, type ConfirmData } from '../shared/confirm-dialog.component';
import { ErrorBanner } from '../shared/error-banner.component';
import { Icon } from '../shared/icon.component';
import { PromptBox } from './chat/prompt-box.component';
import { StatusBanner } from './chat/status-banner.component';
import { Transcript } from './chat/transcript.component';
import { GitPanel } from './panels/git-panel.component';
import { PreviewPane } from './panels/preview-pane.component';
import { TerminalPanel } from './panels/terminal-panel.component';
import { displayStatusOf } from './session-labels';
import { SessionLive, type SessionChannel } from './session-live.service';
import { SessionStatusChip } from './session-status.component';

type Command = 'pause' | 'resume' | 'snapshot' | 'delete' | 'rename';

/** Snapshot requests that never answer stop looking busy after this. */
const SNAPSHOT_TIMEOUT_MS = 5 * 60_000;

/**
 * One session, live: the conversation with the agent, and beside it the sandbox's git, terminal and preview. The
 * transcript comes from the session's event stream (see `SessionLive`); the header's details from the API.
 */
@Component({
  selector: 'app-session-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    FormsModule,
    RouterLink,
    MatButtonModule,
    MatProgressBarModule,
    MatProgressSpinnerModule,
    MatTabsModule,
    MatTooltipModule,
    ErrorBanner,
    GitPanel,
    Icon,
    PreviewPane,
    PromptBox,
    SessionStatusChip,
    StatusBanner,
    TerminalPanel,
    Transcript,
  ],
  template: `
    <div class="session-page">
      <header class="session-header">
        <a mat-icon-button routerLink="/sessions" aria-label="Back to sessions" data-testid="session-back"><app-icon name="back" /></a>
        <div class="heading">
          @if (editing()) {
            <form class="rename" (ngSubmit)="saveTitle()" aria-label="Rename session">
              <label class="cdk-visually-hidden" for="session-title-input">Session title</label>
              <input
                id="session-title-input"
                name="title"
                class="title-input"
                [ngModel]="draft()"
                (ngModelChange)="draft.set($event)"
                (keydown.escape)="editing.set(false)"
                maxlength="200"
                data-testid="session-title-input"
              />
              <button mat-flat-button type="submit" [disabled]="busy() === 'rename' || !draft().trim()" data-testid="session-title-save">Save</button>
              <button mat-button type="button" (click)="editing.set(false)">Cancel</button>
            </form>
          } @else {
            <div class="title-row">
              <h1 class="title" data-testid="session-title" [attr.aria-busy]="title() === null ? 'true' : null">{{ title() ?? '' }}</h1>
              <button mat-icon-button type="button" (click)="startRename()" aria-label="Rename session" matTooltip="Rename" data-testid="session-rename">
                <app-icon name="edit" [size]="18" />
              </button>
            </div>
          }
          <div class="sub muted small">
            @if (status(); as st) {
              <app-session-status [status]="st" [pauseReason]="pauseReason()" />
            }
            @if (statusMessage()) {
              <span data-testid="session-status-message">{{ statusMessage() }}</span>
            }
            @if (session.value(); as s) {
              <span>{{ s.configuration?.name ?? 'Scratch session' }}</span>
              @if (s.sessionType === 'setup') {
                <span class="tag">setup</span>
              }
            }
            @if (sync() === 'connecting' && loadedOnce()) {
              <span class="reconnecting" role="status" data-testid="session-reconnecting">Reconnecting…</span>
            }
          </div>
        </div>
        <div class="actions">
          @if (canPause()) {
            <button mat-stroked-button type="button" (click)="pause()" [disabled]="!!busy()" data-testid="session-pause">
              @if (busy() === 'pause') {
                <mat-progress-spinner mode="indeterminate" diameter="16" aria-label="Pausing" />
              } @else {
                <app-icon name="pause" [size]="16" />
              }
              Pause
            </button>
          }
          @if (canResume()) {
            <button mat-flat-button type="button" (click)="resume()" [disabled]="!!busy()" data-testid="session-resume">
              @if (busy() === 'resume') {
                <mat-progress-spinner mode="indeterminate" diameter="16" aria-label="Resuming" />
              } @else {
                <app-icon name="play" [size]="16" />
              }
              Resume
            </button>
          }
          @if (status() === 'running') {
            <button mat-stroked-button type="button" (click)="snapshot()" [disabled]="!!busy() || snapshotPending() !== false" data-testid="session-snapshot">
              @if (busy() === 'snapshot' || snapshotPending() !== false) {
                <mat-progress-spinner mode="indeterminate" diameter="16" aria-label="Saving a snapshot" />
              } @else {
                <app-icon name="camera" [size]="16" />
              }
              Snapshot
            </button>
          }
          <button mat-button type="button" class="danger-text" (click)="remove()" [disabled]="!!busy()" data-testid="session-delete">
            <app-icon name="trash" [size]="16" /> Delete
          </button>
          <button
            mat-icon-button
            type="button"
            (click)="panelOpen.set(!panelOpen())"
            [attr.aria-pressed]="panelOpen()"
            [attr.aria-label]="panelOpen() ? 'Hide the side panel' : 'Show the side panel'"
            data-testid="session-panel-toggle"
          >
            <app-icon name="preview" [size]="18" />
          </button>
        </div>
      </header>

      @if (session.error()) {
        <app-error-banner class="page-error" [error]="session.error()" retryLabel="Retry" (retry)="session.reload()" />
      }
      @if (actionError()) {
        <app-error-banner class="page-error" [error]="actionError()" />
      }
      @if (channel()?.socketError(); as problem) {
        <div class="banner banner-warn page-error" role="status" data-testid="session-socket-error">
          <app-icon name="warning" />
          <span class="banner-text">{{ problem }}</span>
          <button mat-button type="button" (click)="channel()?.clearSocketError()">Dismiss</button>
        </div>
      }

      <div class="session-body" [class.with-panel]="panelOpen()">
        <section class="chat" aria-label="Conversation with the agent">
          @if (sync() === 'replaying' && !loadedOnce()) {
            <mat-progress-bar mode="indeterminate" aria-label="Loading the conversation" />
          }
          <div class="chat-scroll" #scroller (scroll)="onScroll()" data-testid="chat">
            @if (channel(); as ch) {
              @if (ch.view().items.length) {
                <app-transcript [state]="ch.view()" [meId]="store.user()?.id ?? null" [creator]="session.value()?.createdBy ?? null" [sessionId]="id()" />
              } @else if (loadedOnce()) {
                <div class="chat-empty muted" data-testid="chat-empty">
                  <app-icon name="chat" [size]="32" />
                  <p>No messages yet. Tell the agent what to work on.</p>
                </div>
              }
              @if (ch.awaitingReply() && !ch.working()) {
                <p class="waiting muted small" role="status" data-testid="awaiting-reply">
                  <mat-progress-spinner mode="indeterminate" diameter="14" aria-hidden="true" /> Waiting for the agent…
                </p>
              }
            }
          </div>
          <div class="chat-footer">
            <app-status-banner
              [status]="status()"
              [pauseReason]="pauseReason()"
              [message]="statusMessage()"
              [lastError]="session.value()?.lastError ?? null"
              [resuming]="busy() === 'resume'"
              (resume)="resume()"
            />
            <app-error-banner [error]="promptError()" />
            <app-prompt-box
              [submit]="sendPrompt"
              [disabled]="status() === 'stopped'"
              [working]="!!channel()?.working()"
              [cancelling]="cancelling()"
              [placeholder]="status() === 'stopped' ? 'This session has ended' : 'Ask the agent to do something…'"
              [hint]="promptHint()"
              (cancel)="cancel()"
            />
          </div>
        </section>

        @if (panelOpen()) {
          <aside class="side-panel" aria-label="Sandbox">
            <mat-tab-group class="side-tabs" animationDuration="0ms" [mat-stretch-tabs]="false" [(selectedIndex)]="tab">
              <mat-tab>
                <ng-template mat-tab-label><span data-testid="tab-git"><app-icon name="branch" [size]="16" /> Git</span></ng-template>
                <ng-template matTabContent>
                  @if (channel(); as ch) {
                    <app-git-panel [channel]="ch" [running]="status() === 'running'" [canMutate]="canMutate()" [workspaces]="workspaces()" />
                  }
                </ng-template>
              </mat-tab>
              <mat-tab>
                <ng-template mat-tab-label><span data-testid="tab-terminal"><app-icon name="terminal" [size]="16" /> Terminal</span></ng-template>
                <ng-template matTabContent>
                  @if (channel(); as ch) {
                    <app-terminal-panel [channel]="ch" [running]="status() === 'running'" [canMutate]="canMutate()" />
                  }
                </ng-template>
              </mat-tab>
              <mat-tab>
                <ng-template mat-tab-label>
                  <span data-testid="tab-preview">
                    <app-icon name="preview" [size]="16" /> Preview
                    @if (previews().length) {
                      <span class="count">{{ previews().length }}</span>
                    }
                  </span>
                </ng-template>
                <ng-template matTabContent>
                  <app-preview-pane [previews]="previews()" />
                </ng-template>
              </mat-tab>
            </mat-tab-group>
          </aside>
        }
      </div>
    </div>
  `,
  styles: `
    .session-page {
      display: flex;
      flex-direction: column;
      height: calc(100dvh - 64px);
      box-sizing: border-box;
      padding: 12px 20px 16px;
      gap: 8px;
    }
    .session-header {
      display: flex;
      align-items: flex-start;
      gap: 8px;
      flex-wrap: wrap;
    }
    .heading {
      flex: 1;
      min-width: 240px;
    }
    .title-row,
    .rename,
    .sub,
    .actions {
      display: flex;
      align-items: center;
      gap: 8px;
      flex-wrap: wrap;
    }
    .title {
      overflow-wrap: anywhere;
    }
    .title-input {
      flex: 1;
      min-width: 200px;
      padding: 6px 10px;
      border: 1px solid var(--mat-sys-outline);
      border-radius: 8px;
      font: var(--mat-sys-headline-small);
    }
    .tag,
    .count {
      padding: 0 8px;
      border-radius: 999px;
      background: var(--mat-sys-surface-container-high);
    }
    .reconnecting {
      color: var(--mat-sys-tertiary);
    }
    .page-error {
      display: block;
    }
    .session-body {
      flex: 1;
      min-height: 0;
      display: grid;
      grid-template-columns: minmax(0, 1fr);
      gap: 16px;
    }
    .session-body.with-panel {
      grid-template-columns: minmax(0, 1fr) minmax(360px, 42%);
    }
    .chat,
    .side-panel {
      display: flex;
      flex-direction: column;
      min-height: 0;
      border: 1px solid var(--mat-sys-outline-variant);
      border-radius: 12px;
      background: var(--mat-sys-surface);
    }
    .chat-scroll {
      flex: 1;
      overflow-y: auto;
      padding: 16px 20px;
    }
    .chat-empty {
      display: flex;
      flex-direction: column;
      align-items: center;
      padding: 48px 16px;
    }
    .waiting {
      display: flex;
      align-items: center;
      gap: 8px;
    }
    .chat-footer {
      display: flex;
      flex-direction: column;
      gap: 8px;
      padding: 8px 12px 12px;
      border-top: 1px solid var(--mat-sys-outline-variant);
    }
    .side-tabs {
      flex: 1;
      min-height: 0;
    }
    .side-tabs ::ng-deep .mat-mdc-tab-body-content {
      padding: 12px;
      box-sizing: border-box;
    }
    @media (max-width: 1099.98px) {
      .session-page {
        height: auto;
      }
      .session-body.with-panel {
        grid-template-columns: minmax(0, 1fr);
      }
      .chat {
        height: 75dvh;
      }
    }
  `,
})
export class SessionPage {
  /** The `:id` route parameter. */
  readonly id = input.required<string>();

  private readonly api = inject(Api);
  private readonly live = inject(SessionLive);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly router = inject(Router);
  private readonly pageTitle = inject(Title);
  protected readonly store = inject(SessionStore);

  protected readonly channel = signal<SessionChannel | null>(null);
  protected readonly session = rxResource({ params: () => this.id(), stream: ({ params }) => this.api.getSession(params) });
  private readonly configuration = rxResource({
    params: () => this.session.value()?.configuration?.id,
    stream: ({ params }) => this.api.getConfiguration(params).pipe(map((c) => c.repos.map((r) => r.workspacePath))),
  });

  protected readonly busy = signal<Command | null>(null);
  protected readonly actionError = signal<string | null>(null);
  protected readonly promptError = signal<string | null>(null);
  protected readonly cancelling = signal(false);
  /** While a snapshot is being saved: the time of the last snapshot result before the request (false when none is). */
  protected readonly snapshotPending = signal<string | null | false>(false);
  protected readonly editing = signal(false);
  protected readonly draft = signal('');
  protected readonly panelOpen = signal(true);
  protected tab = 0;

  private readonly scroller = viewChild<ElementRef<HTMLElement>>('scroller');
  /** Follow new messages while the reader is at the bottom; stop when they scroll up to read. */
  private stick = true;

  protected readonly sync = computed(() => this.channel()?.sync() ?? 'connecting');
  protected readonly loadedOnce = signal(false);
  protected readonly view = computed(() => this.channel()?.view() ?? null);
  /** The live status once the stream has it, else the API's. */
  protected readonly status = computed(() => this.view()?.status ?? this.session.value()?.status ?? null);
  protected readonly statusMessage = computed(() => this.view()?.statusMessage ?? null);
  /** The pause reason is only in the API's copy, and only meaningful while the session is paused. */
  protected readonly pauseReason = computed(() => (this.status() === 'paused' ? (this.session.value()?.pauseReason ?? null) : null));
  /** null until the stream or the API has told: a titled session must not show as untitled while it loads. */
  protected readonly title = computed(
    () => this.view()?.title ?? this.session.value()?.title ?? (this.session.hasValue() || this.session.error() ? 'Untitled session' : null),
  );
  protected readonly previews = computed(() => this.view()?.previews ?? []);
  protected readonly workspaces = computed(() => (this.configuration.hasValue() ? this.configuration.value() : []));
  protected readonly canMutate = computed(() => {
    const s = this.session.value();
    return !!s && (s.createdBy === null || s.createdBy.id === this.store.user()?.id);
  });
  protected readonly canPause = computed(() => ['pending', 'starting', 'running', 'migrating'].includes(this.status() ?? ''));
  protected readonly canResume = computed(() => {
    const status = this.status();
    return (status === 'paused' && displayStatusOf(status, this.pauseReason()) !== 'blocked') || status === 'failed';
  });
  protected readonly promptHint = computed(() => {
    const status = this.status();
    if (status === 'paused') return 'The session resumes when you send a message.';
    if (status === 'pending' || status === 'starting') return 'Messages wait until the sandbox is ready.';
    return null;
  });

  constructor() {
    effect((onCleanup) => {
      const id = this.id();
      const channel = untracked(() => this.live.open(id));
      this.channel.set(channel);
      this.loadedOnce.set(false);
      this.stick = true;
      onCleanup(() => {
        this.live.release(channel);
        this.channel.set(null);
      });
    });
    effect(() => {
      if (this.sync() === 'live') this.loadedOnce.set(true);
    });
    // The API's copy (pause reason, last error, telemetry) follows status changes.
    let lastStatus: string | null = null;
    effect(() => {
      const status = this.view()?.status ?? null;
      if (status && lastStatus && status !== lastStatus) untracked(() => this.session.reload());
      lastStatus = status;
    });
    // A snapshot request is answered by a snapshot_result in the stream (or given up on after a while).
    effect((onCleanup) => {
      const baseline = this.snapshotPending();
      if (baseline === false) return;
      if ((this.view()?.lastSnapshot?.at ?? null) !== baseline) {
        untracked(() => this.snapshotPending.set(false));
        return;
      }
      const timer = setTimeout(() => this.snapshotPending.set(false), SNAPSHOT_TIMEOUT_MS);
      onCleanup(() => clearTimeout(timer));
    });
    effect(() => {
      if (!this.channel()?.working()) this.cancelling.set(false);
    });
    effect(() => this.pageTitle.setTitle(`${this.title() ?? 'Session'} · Proliferate`));
    afterRenderEffect(() => {
      this.view();
      const el = this.scroller()?.nativeElement;
      if (el && this.stick) el.scrollTop = el.scrollHeight;
    });
  }

  protected onScroll(): void {
    const el = this.scroller()?.nativeElement;
    if (el) this.stick = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  }

  /** A prompt whose send failed keeps its id, so sending it again cannot post it twice if the first one did arrive. */
  private unsent: { content: string; clientMessageId: string } | null = null;

  /** Given to the prompt box: true once the server accepted the prompt (its event then shows it). */
  protected readonly sendPrompt = async (content: string): Promise<boolean> => {
    this.promptError.set(null);
    if (this.unsent?.content !== content) this.unsent = { content, clientMessageId: crypto.randomUUID() };
    try {
      await firstValueFrom(this.api.sendMessage(this.id(), content, this.unsent.clientMessageId));
      this.unsent = null;
      this.stick = true;
      return true;
    } catch (err) {
      this.promptError.set(toApiError(err).message);
      return false;
    }
  };

  protected async cancel(): Promise<void> {
    this.cancelling.set(true);
    try {
      await firstValueFrom(this.api.cancelTurn(this.id()));
    } catch (err) {
      this.cancelling.set(false);
      this.snackBar.open(toApiError(err).message, 'Dismiss', { duration: 6000 });
    }
  }

  protected startRename(): void {
    const title = this.title();
    this.draft.set(title === null || title === 'Untitled session' ? '' : title);
    this.editing.set(true);
  }

  protected async saveTitle(): Promise<void> {
    const title = this.draft().trim();
    if (!title) return;
    await this.run('rename', async () => {
      this.session.set(await firstValueFrom(this.api.renameSession(this.id(), title)));
      this.editing.set(false);
    });
  }

  protected async pause(): Promise<void> {
    const ok = await this.confirm({
      title: 'Pause session',
      message: 'Pause this session? Its sandbox is saved and stopped; the agent stops working. Resume it (or send a message) to continue.',
      confirm: 'Pause',
    });
    if (!ok) return;
    await this.run('pause', async () => {
      this.session.set(await firstValueFrom(this.api.sessionCommand(this.id(), 'pause')));
      this.snackBar.open('Pausing the session…', undefined, { duration: 3000 });
    });
  }

  protected async resume(): Promise<void> {
    await this.run('resume', async () => {
      this.session.set(await firstValueFrom(this.api.sessionCommand(this.id(), 'resume')));
      this.snackBar.open('Resuming the session…', undefined, { duration: 3000 });
    });
  }

  protected async snapshot(): Promise<void> {
    const ok = await this.confirm({
      title: 'Save a snapshot',
      message: "Save the sandbox's state now? If the agent is working, it gets a moment to finish; then its turn is stopped.",
      confirm: 'Save snapshot',
    });
    if (!ok) return;
    await this.run('snapshot', async () => {
      const baseline = this.view()?.lastSnapshot?.at ?? null;
      await firstValueFrom(this.api.sessionCommand(this.id(), 'snapshot'));
      this.snapshotPending.set(baseline);
    });
  }

  protected async remove(): Promise<void> {
    const ok = await this.confirm({
      title: 'Delete session',
      message: `Delete “${this.title() ?? 'this session'}”? Its sandbox is destroyed and the conversation is gone for everyone.`,
      confirm: 'Delete',
      danger: true,
    });
    if (!ok) return;
    await this.run('delete', async () => {
      await firstValueFrom(this.api.deleteSession(this.id()));
      this.snackBar.open('Session deleted', undefined, { duration: 3000 });
      await this.router.navigateByUrl('/sessions');
    });
  }

  private async confirm(data: ConfirmData): Promise<boolean> {
    return (await firstValueFrom(this.dialog.open(ConfirmDialog, { data, width: '440px' }).afterClosed())) === true;
  }

  private async run(command: Command, action: () => Promise<void>): Promise<void> {
    this.actionError.set(null);
    this.busy.set(command);
    try {
      await action();
    } catch (err) {
      this.actionError.set(toApiError(err).message);
    } finally {
      this.busy.set(null);
    }
  }
}
