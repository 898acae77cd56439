import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { rxResource } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { Router } from '@angular/router';
import { map } from 'rxjs';
import { Api } from '../api/api.service';
import { parseEventPage } from '../api/session-events';
import type { SessionView } from '../api/types';
import { Clock } from '../shared/clock.service';
import { ErrorBanner } from '../shared/error-banner.component';
import { Icon } from '../shared/icon.component';
import { summarizeEvents } from './event-summary';
import { activeSeconds, formatDuration, pauseReasonText, prLabel, relativeTime } from './session-labels';
import { SessionStatusChip } from './session-status.component';

export interface PeekData {
  sessionId: string;
  /** The row already on screen, shown while the fresh copy loads. */
  row?: SessionView;
}

/** How far back the peek reads the log (token frames of completed text are compacted away, so this goes far). */
const PEEK_EVENTS = 60;

/** A quick look at a session from the list: summary, telemetry, the last few things that happened, and "Open". */
@Component({
  selector: 'app-session-peek',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [DatePipe, MatButtonModule, MatDialogModule, MatProgressBarModule, ErrorBanner, Icon, SessionStatusChip],
  template: `
    <div class="peek" data-testid="peek-drawer" [attr.data-session-id]="data.sessionId">
      <header class="peek-head">
        <div class="peek-title">
          <h2 mat-dialog-title class="title" data-testid="peek-title">{{ session()?.title || 'Untitled session' }}</h2>
          @if (session(); as s) {
            <app-session-status [status]="s.status" [pauseReason]="s.pauseReason" [displayStatus]="s.displayStatus" />
          }
        </div>
        <button mat-icon-button type="button" mat-dialog-close aria-label="Close" data-testid="peek-close">
          <app-icon name="close" />
        </button>
      </header>
      @if (fresh.isLoading()) {
        <mat-progress-bar mode="indeterminate" aria-label="Loading session" />
      }
      <mat-dialog-content class="peek-body">
        <app-error-banner [error]="fresh.error()" retryLabel="Retry" (retry)="fresh.reload()" />
        @if (session(); as s) {
          @if (s.latestTask) {
            <p class="latest" data-testid="peek-latest-task"><app-icon name="tool" [size]="16" /> {{ s.latestTask }}</p>
          }
          @if (s.displayStatus === 'failed' && s.lastError) {
            <div class="banner banner-error" role="status"><span class="banner-text">{{ s.lastError }}</span></div>
          } @else if (s.status === 'paused') {
            <p class="muted small">{{ pauseText() }}</p>
          }
          <dl class="facts">
            <dt>Configuration</dt>
            <dd>{{ s.configuration?.name ?? 'Scratch' }}</dd>
            <dt>Started by</dt>
            <dd>{{ s.createdBy?.name ?? 'An automation' }}</dd>
            <dt>Created</dt>
            <dd>{{ s.createdAt | date: 'medium' }}</dd>
            <dt>Last activity</dt>
            <dd>{{ since(s.lastActivityAt) }}</dd>
            <dt>Activity</dt>
            <dd data-testid="peek-metrics">
              {{ s.metrics.toolCalls }} {{ s.metrics.toolCalls === 1 ? 'tool call' : 'tool calls' }} · {{ s.metrics.messagesExchanged }} {{ s.metrics.messagesExchanged === 1 ? 'message' : 'messages' }} · {{ duration(active(s)) }} active
            </dd>
            @if (s.outcome) {
              <dt>Outcome</dt>
              <dd><span class="status-chip" [attr.data-status]="s.outcome">{{ s.outcome }}</span></dd>
            }
            @if (s.prUrls.length) {
              <dt>Pull requests</dt>
              <dd class="prs">
                @for (url of s.prUrls; track url) {
                  <a [href]="url" target="_blank" rel="noopener noreferrer" data-testid="peek-pr">{{ pr(url) }}</a>
                }
              </dd>
            }
          </dl>

          <h3 class="recent-title">Recent activity</h3>
          @if (events.isLoading()) {
            <mat-progress-bar mode="indeterminate" aria-label="Loading recent activity" />
          }
          <app-error-banner [error]="events.error()" />
          @if (lines().length) {
            <ol class="recent" data-testid="peek-events">
              @for (line of lines(); track line.seq) {
                <li [class]="'tone-' + line.tone" data-testid="peek-event">
                  <app-icon [name]="line.icon" [size]="16" />
                  <span class="line-text">{{ line.text }}</span>
                </li>
              }
            </ol>
          } @else if (events.hasValue()) {
            <p class="muted small" data-testid="peek-no-events">Nothing has happened in this session yet.</p>
          }
        }
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" mat-dialog-close>Close</button>
        <button mat-flat-button type="button" (click)="open()" data-testid="peek-open">
          Open <app-icon name="chevron-right" [size]="18" />
        </button>
      </mat-dialog-actions>
    </div>
  `,
  styles: `
    .peek {
      display: flex;
      flex-direction: column;
      height: 100%;
    }
    .peek-head {
      display: flex;
      align-items: flex-start;
      gap: 8px;
      padding: 8px 8px 0 0;
    }
    .peek-title {
      flex: 1;
      min-width: 0;
    }
    .peek-title app-session-status {
      display: block;
      padding: 0 24px;
    }
    .title {
      overflow-wrap: anywhere;
    }
    .peek-body {
      flex: 1;
      max-height: none;
    }
    .latest {
      display: flex;
      gap: 6px;
      align-items: center;
    }
    .facts {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 6px 16px;
      margin: 12px 0;
    }
    dt {
      color: var(--mat-sys-on-surface-variant);
    }
    dd {
      margin: 0;
    }
    .prs {
      display: flex;
      gap: 8px;
      flex-wrap: wrap;
    }
    .recent-title {
      font: var(--mat-sys-title-small);
      margin: 16px 0 8px;
    }
    .recent {
      list-style: none;
      margin: 0;
      padding: 0;
      display: flex;
      flex-direction: column;
      gap: 8px;
    }
    .recent li {
      display: flex;
      gap: 8px;
      align-items: flex-start;
    }
    .line-text {
      overflow-wrap: anywhere;
    }
    .tone-error {
      color: var(--mat-sys-error);
    }
  `,
})
export class SessionPeek {
  protected readonly data = inject<PeekData>(MAT_DIALOG_DATA);
  private readonly api = inject(Api);
  private readonly ref = inject<MatDialogRef<SessionPeek, 'open'>>(MatDialogRef);
  private readonly router = inject(Router);
  private readonly clock = inject(Clock);

  protected readonly fresh = rxResource({ stream: () => this.api.getSession(this.data.sessionId) });
  protected readonly session = computed(() => (this.fresh.hasValue() ? this.fresh.value() : (this.data.row ?? null)));

  protected readonly events = rxResource({
    // Read once the fresh copy is here, so its sequence number is current.
    params: () => {
      const s = this.fresh.hasValue() ? this.fresh.value() : undefined;
      return s ? { id: s.id, after: Math.max(0, s.eventSeq - PEEK_EVENTS) } : undefined;
    },
    stream: ({ params }) => this.api.sessionEvents(params.id, { after: params.after, limit: PEEK_EVENTS }).pipe(map(parseEventPage)),
  });
  protected readonly lines = computed(() => (this.events.hasValue() ? summarizeEvents(this.events.value().events) : []));
  protected readonly pauseText = computed(() => pauseReasonText(this.session()?.pauseReason ?? null));

  protected since(iso: string): string {
    return relativeTime(iso, this.clock.now());
  }

  protected active(s: SessionView): number {
    return activeSeconds(s, this.clock.now());
  }

  protected duration(seconds: number): string {
    return formatDuration(seconds);
  }

  protected pr(url: string): string {
    return prLabel(url);
  }

  protected open(): void {
    this.ref.close('open');
    void this.router.navigate(['/sessions', this.data.sessionId]);
  }
}
