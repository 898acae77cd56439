import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { DisplayStatus, SessionStatus } from '../api/types';
import { DISPLAY_STATUS_LABELS, STATUS_LABELS, displayStatusOf } from './session-labels';

/** A session's display status as a chip; the raw status rides along for tests and tooltips. */
@Component({
  selector: 'app-session-status',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <span
      class="status-chip session-status"
      [attr.data-status]="display()"
      [attr.data-raw-status]="status()"
      [attr.title]="rawLabel()"
      data-testid="session-status"
    >
      @if (display() === 'active') {
        <span class="pulse" aria-hidden="true"></span>
      }
      {{ label() }}
    </span>
  `,
  styles: `
    .session-status {
      display: inline-flex;
      align-items: center;
      gap: 6px;
      white-space: nowrap;
    }
    .pulse {
      width: 7px;
      height: 7px;
      border-radius: 50%;
      background: currentColor;
      animation: pulse 1.6s ease-in-out infinite;
    }
    @keyframes pulse {
      50% {
        opacity: 0.3;
      }
    }
    @media (prefers-reduced-motion: reduce) {
      .pulse {
        animation: none;
      }
    }
  `,
})
export class SessionStatusChip {
  readonly status = input.required<SessionStatus>();
  readonly pauseReason = input<string | null>(null);
  /** The server's display status; derived from status and pause reason when absent. */
  readonly displayStatus = input<DisplayStatus | null>(null);

  protected readonly display = computed(() => this.displayStatus() ?? displayStatusOf(this.status(), this.pauseReason()));
  protected readonly label = computed(() => DISPLAY_STATUS_LABELS[this.display()]);
  protected readonly rawLabel = computed(() => STATUS_LABELS[this.status()]);
}
