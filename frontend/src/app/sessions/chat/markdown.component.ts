import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { renderMarkdown } from '../markdown';

/** Model-written markdown, sanitised (see `renderMarkdown`). */
@Component({
  selector: 'app-markdown',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { class: 'markdown' },
  template: `<div class="markdown-body" [innerHTML]="html()"></div>`,
  styles: `
    :host {
      display: block;
      overflow-wrap: anywhere;
    }
    .markdown-body > :first-child {
      margin-top: 0;
    }
    .markdown-body > :last-child {
      margin-bottom: 0;
    }
    .markdown-body ::ng-deep pre {
      padding: 10px 12px;
      border-radius: 8px;
      background: var(--mat-sys-surface-container-high);
      overflow-x: auto;
    }
    .markdown-body ::ng-deep :not(pre) > code {
      padding: 1px 4px;
      border-radius: 4px;
      background: var(--mat-sys-surface-container-high);
    }
    .markdown-body ::ng-deep table {
      border-collapse: collapse;
    }
    .markdown-body ::ng-deep th,
    .markdown-body ::ng-deep td {
      border: 1px solid var(--mat-sys-outline-variant);
      padding: 4px 8px;
    }
    .markdown-body ::ng-deep blockquote {
      margin: 8px 0;
      padding-left: 12px;
      border-left: 3px solid var(--mat-sys-outline-variant);
      color: var(--mat-sys-on-surface-variant);
    }
  `,
})
export class Markdown {
  readonly text = input.required<string>();
  protected readonly html = computed(() => renderMarkdown(this.text()));
}
