import { ChangeDetectionStrategy, Component, computed, input, output } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import type { SessionStatus } from '../../api/types';
import { Icon } from '../../shared/icon.component';
import { displayStatusOf, pauseReasonText } from '../session-labels';

interface Banner {
  tone: 'info' | 'warn' | 'error';
  text: string;
  detail: string | null;
  spinner: boolean;
  action: 'resume' | 'retry' | null;
}

/** Where the session is when it is not simply running: starting, being extended, paused, failed, ended. */
@Component({
  selector: 'app-status-banner',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatButtonModule, MatProgressSpinnerModule, Icon],
  template: `
    @if (banner(); as b) {
      <div
        class="banner"
        [class.banner-info]="b.tone === 'info'"
        [class.banner-warn]="b.tone === 'warn'"
        [class.banner-error]="b.tone === 'error'"
        [attr.role]="b.tone === 'error' ? 'alert' : 'status'"
        [attr.data-status]="status()"
        data-testid="status-banner"
      >
        @if (b.spinner) {
          <mat-progress-spinner mode="indeterminate" diameter="18" aria-hidden="true" />
        } @else {
          <app-icon [name]="b.tone === 'error' ? 'warning' : 'info'" />
        }
        <span class="banner-text">
          <strong data-testid="status-banner-text">{{ b.text }}</strong>
          @if (b.detail) {
            <span class="detail" data-testid="status-banner-detail">{{ b.detail }}</span>
          }
        </span>
        @if (b.action) {
          <button mat-flat-button type="button" (click)="resume.emit()" [disabled]="resuming()" data-testid="status-banner-resume">
            @if (resuming()) {
              <mat-progress-spinner mode="indeterminate" diameter="16" aria-label="Resuming" />
            }
            {{ b.action === 'retry' ? 'Restart' : 'Resume' }}
          </button>
        }
      </div>
    }
  `,
  styles: `
    .banner {
      margin: 0;
    }
    .detail {
      display: block;
      font: var(--mat-sys-body-small);
      overflow-wrap: anywhere;
    }
  `,
})
export class StatusBanner {
  readonly status = input<SessionStatus | null>(null);
  readonly pauseReason = input<string | null>(null);
  readonly message = input<string | null>(null);
  readonly lastError = input<string | null>(null);
  readonly resuming = input(false);
  readonly resume = output<void>();

  protected readonly banner = computed<Banner | null>(() => {
    const status = this.status();
    const message = this.message();
    switch (status) {
      case 'pending':
        return { tone: 'info', text: 'Waiting for a sandbox…', detail: message, spinner: true, action: null };
      case 'starting':
        return { tone: 'info', text: 'Starting the sandbox…', detail: message, spinner: true, action: null };
      case 'migrating':
        return { tone: 'info', text: 'Extending session…', detail: message ?? 'Moving to a fresh sandbox; the agent continues where it left off.', spinner: true, action: null };
      case 'paused': {
        const display = displayStatusOf(status, this.pauseReason());
        return {
          tone: display === 'blocked' ? 'error' : 'warn',
          text: display === 'blocked' ? 'This session is blocked' : 'This session is paused',
          detail: `${pauseReasonText(this.pauseReason())}${display === 'blocked' ? '' : ' Sending a message resumes it too.'}`,
          spinner: false,
          action: display === 'blocked' ? null : 'resume',
        };
      }
      case 'failed':
        return { tone: 'error', text: 'The session failed', detail: this.lastError() ?? message, spinner: false, action: 'retry' };
      case 'stopped':
        return { tone: 'info', text: 'This session has ended', detail: 'Its transcript stays here to read.', spinner: false, action: null };
      default:
        return null;
    }
  });
}
