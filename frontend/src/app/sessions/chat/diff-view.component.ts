import { ChangeDetectionStrategy, Component, computed, input, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import type { FileDiff } from '../../api/session-events';
import { renderDiff } from '../diff';

/** Lines shown before "Show all": a rewritten lockfile should not freeze the chat. */
const PREVIEW_LINES = 400;

/** One file change as a unified diff, added lines green and removed lines red. */
@Component({
  selector: 'app-diff-view',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatButtonModule],
  template: `
    <figure class="diff" data-testid="diff" [attr.data-path]="rendered().path">
      <figcaption class="diff-head">
        <span class="path mono" data-testid="diff-path">{{ rendered().path }}</span>
        @if (rendered().created) {
          <span class="tag">new file</span>
        }
        <span class="stat add-count">+{{ rendered().added }}</span>
        <span class="stat del-count">−{{ rendered().removed }}</span>
      </figcaption>
      @if (rendered().lines.length) {
        <div class="diff-body" role="table" [attr.aria-label]="'Changes to ' + rendered().path">
          @for (line of shown(); track $index) {
            <div [class]="'line ' + line.kind" role="row" [attr.data-kind]="line.kind" data-testid="diff-line">
              <span class="no" role="cell" aria-hidden="true">{{ line.oldNo ?? '' }}</span>
              <span class="no" role="cell" aria-hidden="true">{{ line.newNo ?? '' }}</span>
              <span class="sign" role="cell">{{ sign[line.kind] }}</span>
              <span class="text" role="cell">{{ line.text }}</span>
            </div>
          }
        </div>
        @if (hidden() > 0) {
          <button mat-button type="button" (click)="all.set(true)" data-testid="diff-show-all">Show all ({{ hidden() }} more lines)</button>
        }
      } @else {
        <p class="muted small empty">No changes.</p>
      }
    </figure>
  `,
  styles: `
    .diff {
      margin: 8px 0 0;
      border: 1px solid var(--mat-sys-outline-variant);
      border-radius: 8px;
      overflow: hidden;
    }
    .diff-head {
      display: flex;
      gap: 8px;
      align-items: center;
      padding: 6px 10px;
      background: var(--mat-sys-surface-container);
      font: var(--mat-sys-label-medium);
    }
    .path {
      flex: 1;
      min-width: 0;
      overflow-wrap: anywhere;
    }
    .tag {
      color: var(--mat-sys-on-surface-variant);
    }
    .add-count {
      color: #1a7f37;
    }
    .del-count {
      color: var(--mat-sys-error);
    }
    .diff-body {
      overflow-x: auto;
      max-height: 480px;
      font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
      font-size: 12px;
      line-height: 1.5;
    }
    .line {
      display: grid;
      grid-template-columns: 3.5em 3.5em 1.5em 1fr;
      white-space: pre;
      min-width: max-content;
    }
    .no {
      padding-right: 6px;
      text-align: right;
      color: var(--mat-sys-on-surface-variant);
      user-select: none;
    }
    .sign {
      text-align: center;
      user-select: none;
    }
    .line.add {
      background: #e6ffec;
    }
    .line.del {
      background: #ffebe9;
    }
    .line.hunk {
      background: var(--mat-sys-surface-container-high);
      color: var(--mat-sys-on-surface-variant);
    }
    .empty {
      padding: 6px 10px;
      margin: 0;
    }
  `,
})
export class DiffView {
  readonly diff = input.required<FileDiff>();
  protected readonly all = signal(false);
  protected readonly sign: Record<string, string> = { add: '+', del: '-', ctx: ' ', hunk: '' };
  protected readonly rendered = computed(() => renderDiff(this.diff()));
  protected readonly shown = computed(() => (this.all() ? this.rendered().lines : this.rendered().lines.slice(0, PREVIEW_LINES)));
  protected readonly hidden = computed(() => this.rendered().lines.length - this.shown().length);
}
