import { ChangeDetectionStrategy, Component, ElementRef, afterRenderEffect, computed, input, signal, viewChild } from '@angular/core';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { Icon } from '../../shared/icon.component';
import { formatDuration, toolIcon } from '../session-labels';
import type { ToolCall } from '../session-state';
import { DiffView } from './diff-view.component';

/** A tool call in the chat: what it is, whether it runs, its streamed output, result and file changes. */
@Component({
  selector: 'app-tool-card',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatProgressSpinnerModule, DiffView, Icon],
  template: `
    @let t = tool();
    <section class="tool" [attr.data-status]="t.status" [attr.data-kind]="t.kind" [attr.data-tool-call-id]="t.toolCallId" data-testid="tool-card">
      <button
        type="button"
        class="tool-head"
        (click)="expanded.set(!open())"
        [attr.aria-expanded]="open()"
        [attr.aria-controls]="bodyId()"
        data-testid="tool-card-toggle"
      >
        <app-icon class="kind" [name]="icon()" [size]="18" />
        <span class="title" data-testid="tool-card-title">{{ t.title }}</span>
        <span class="tool-name muted small">{{ t.tool }}</span>
        <span class="state" data-testid="tool-card-state">
          @switch (t.status) {
            @case ('running') {
              <mat-progress-spinner mode="indeterminate" diameter="16" aria-label="Running" />
            }
            @case ('completed') {
              <app-icon name="check" [size]="16" /><span class="cdk-visually-hidden">Completed</span>
            }
            @case ('failed') {
              <app-icon name="warning" [size]="16" /><span class="visible-label">Failed</span>
            }
            @case ('interrupted') {
              <span class="visible-label muted">Interrupted</span>
            }
          }
          @if (t.durationMs !== null) {
            <span class="muted small">{{ duration() }}</span>
          }
        </span>
        <app-icon class="chevron" [name]="open() ? 'chevron-down' : 'chevron-right'" [size]="16" />
      </button>
      @if (open()) {
        <div class="tool-body" [id]="bodyId()">
          @if (argsText()) {
            <details class="args">
              <summary>Input</summary>
              <pre class="mono" data-testid="tool-card-args">{{ argsText() }}</pre>
            </details>
          }
          @if (showOutput()) {
            <pre class="output mono" #output data-testid="tool-card-output" aria-label="Output">{{ t.output }}</pre>
          }
          @if (showResult()) {
            <pre class="output result mono" data-testid="tool-card-result" aria-label="Result">{{ t.result }}</pre>
          }
          @for (diff of t.diffs; track diff.path) {
            <app-diff-view [diff]="diff" />
          }
          @if (!showOutput() && !showResult() && !t.diffs.length && !argsText()) {
            <p class="muted small nothing">{{ t.status === 'running' ? 'Working…' : 'No output.' }}</p>
          }
        </div>
      }
    </section>
  `,
  styles: `
    .tool {
      margin: 8px 0;
      border: 1px solid var(--mat-sys-outline-variant);
      border-radius: 10px;
      background: var(--mat-sys-surface);
    }
    .tool[data-status='failed'] {
      border-color: var(--mat-sys-error);
    }
    .tool-head {
      display: flex;
      align-items: center;
      gap: 8px;
      width: 100%;
      padding: 8px 10px;
      border: 0;
      background: none;
      font: inherit;
      color: inherit;
      text-align: left;
      cursor: pointer;
      border-radius: 10px;
    }
    .tool-head:focus-visible {
      outline: 2px solid var(--mat-sys-primary);
    }
    .kind {
      color: var(--mat-sys-primary);
    }
    .title {
      flex: 1;
      min-width: 0;
      font-weight: 500;
      overflow-wrap: anywhere;
    }
    .state {
      display: inline-flex;
      align-items: center;
      gap: 6px;
    }
    .state app-icon {
      color: var(--mat-sys-primary);
    }
    .tool[data-status='failed'] .state {
      color: var(--mat-sys-error);
    }
    .tool[data-status='failed'] .state app-icon {
      color: inherit;
    }
    .tool-body {
      padding: 0 10px 10px;
    }
    .output,
    .args pre {
      margin: 6px 0 0;
      padding: 8px 10px;
      max-height: 280px;
      overflow: auto;
      border-radius: 8px;
      background: var(--mat-sys-surface-container-high);
      font-size: 12px;
      white-space: pre-wrap;
      overflow-wrap: anywhere;
    }
    .args summary {
      cursor: pointer;
      font: var(--mat-sys-label-medium);
      color: var(--mat-sys-on-surface-variant);
    }
    .nothing {
      margin: 4px 0 0;
    }
  `,
})
export class ToolCard {
  readonly tool = input.required<ToolCall>();
  /** null until the person toggles: then their choice wins over the default. */
  protected readonly expanded = signal<boolean | null>(null);
  private readonly output = viewChild<ElementRef<HTMLElement>>('output');

  protected readonly icon = computed(() => toolIcon(this.tool().kind));
  protected readonly bodyId = computed(() => `tool-body-${this.tool().toolCallId}`);
  protected readonly duration = computed(() => formatDuration((this.tool().durationMs ?? 0) / 1000));
  /** Open while it runs, when it failed or changed files; collapsed once a plain call is done. */
  protected readonly open = computed(() => {
    const t = this.tool();
    return this.expanded() ?? (t.status === 'running' || t.status === 'failed' || t.diffs.length > 0);
  });
  /** The result often repeats the streamed output (a command's "Exit code: 0" and its output): then only the result shows. */
  private readonly resultHasOutput = computed(() => {
    const t = this.tool();
    return !!t.result && !!t.output.trim() && t.result.includes(t.output.trim());
  });
  protected readonly showOutput = computed(() => !!this.tool().output && !this.resultHasOutput());
  protected readonly showResult = computed(() => {
    const t = this.tool();
    return !!t.result && t.result.trim() !== t.output.trim();
  });
  protected readonly argsText = computed(() => {
    const args = this.tool().args;
    if (args === undefined || args === null) return '';
    if (typeof args === 'string') return args;
    try {
      return JSON.stringify(args, null, 2);
    } catch {
      return String(args);
    }
  });

  constructor() {
    // Streamed output follows its end while the tool runs, like a terminal.
    afterRenderEffect(() => {
      const el = this.output()?.nativeElement;
      if (el && this.tool().status === 'running') el.scrollTop = el.scrollHeight;
    });
  }
}
