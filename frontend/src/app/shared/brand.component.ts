import { ChangeDetectionStrategy, Component, input } from '@angular/core';

/** The product mark and name. */
@Component({
  selector: 'app-brand',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <svg class="mark" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">
      <circle cx="7" cy="12" r="4" />
      <circle cx="16" cy="7" r="3" />
      <circle cx="17" cy="17" r="3" />
    </svg>
    @if (!compact()) {
      <span class="name">Proliferate</span>
    }
  `,
  styles: `
    :host {
      display: inline-flex;
      align-items: center;
      gap: 8px;
      font: var(--mat-sys-title-large);
      font-weight: 600;
      letter-spacing: -0.01em;
    }
    .mark circle {
      fill: var(--mat-sys-primary);
    }
    .mark circle + circle {
      opacity: 0.7;
    }
  `,
})
export class Brand {
  /** Only the mark, for narrow toolbars (the link around it carries the name for screen readers). */
  readonly compact = input(false);
}
