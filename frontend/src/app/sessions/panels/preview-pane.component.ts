import { DOCUMENT } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, effect, inject, input, signal, untracked } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { MatTooltipModule } from '@angular/material/tooltip';
import { DomSanitizer, type SafeResourceUrl } from '@angular/platform-browser';
import { EmptyState } from '../../shared/empty-state.component';
import { Icon } from '../../shared/icon.component';
import type { PreviewUrl } from '../session-state';

/** The absolute http(s) address `value` names (relative to `base`), or null: only web addresses load in the frame. */
export function toWebUrl(value: string, base: string): string | null {
  try {
    const url = new URL(value.trim(), base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * What the sandbox serves (dev servers the agent or a service started), in a frame with an address bar: pick the
 * port, edit the path, reload, or open it in a tab of its own.
 */
@Component({
  selector: 'app-preview-pane',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [FormsModule, MatButtonModule, MatFormFieldModule, MatInputModule, MatSelectModule, MatTooltipModule, EmptyState, Icon],
  template: `
    <div class="preview" data-testid="preview-pane">
      @if (previews().length === 0) {
        <app-empty-state title="Nothing to preview yet" icon="preview">
          When the agent or a service starts a web server in the sandbox, its address appears here.
        </app-empty-state>
      } @else {
        <form class="address" (ngSubmit)="go()" aria-label="Preview address">
          <mat-select class="port" [value]="port()" (selectionChange)="pickPort($event.value)" aria-label="Port" data-testid="preview-port">
            @for (p of previews(); track p.port) {
              <mat-option [value]="p.port" data-testid="preview-port-option">:{{ p.port }}</mat-option>
            }
          </mat-select>
          <label class="cdk-visually-hidden" for="preview-address">Address</label>
          <input
            id="preview-address"
            class="address-input mono"
            name="address"
            [ngModel]="address()"
            (ngModelChange)="address.set($event)"
            spellcheck="false"
            data-testid="preview-address"
          />
          <button mat-icon-button type="submit" aria-label="Go" matTooltip="Go" data-testid="preview-go"><app-icon name="chevron-right" [size]="18" /></button>
          <button mat-icon-button type="button" (click)="reload()" aria-label="Reload" matTooltip="Reload" data-testid="preview-reload">
            <app-icon name="refresh" [size]="18" />
          </button>
          <a
            mat-icon-button
            [attr.href]="current() || null"
            target="_blank"
            rel="noopener noreferrer"
            aria-label="Open in a new tab"
            matTooltip="Open in a new tab"
            data-testid="preview-open"
          >
            <app-icon name="external" [size]="18" />
          </a>
        </form>
        @if (invalid()) {
          <div class="banner banner-error" role="alert"><span class="banner-text">Only http and https addresses can be previewed.</span></div>
        }
        <!-- Angular only takes a static sandbox attribute: one frame per policy. -->
        @if (frameSrc(); as src) {
          @if (ownOrigin()) {
            <iframe
              class="frame"
              [src]="src"
              sandbox="allow-scripts allow-forms allow-popups allow-modals allow-downloads allow-same-origin"
              referrerpolicy="no-referrer"
              title="Preview of the sandbox"
              data-testid="preview-frame"
            ></iframe>
          } @else {
            <iframe
              class="frame"
              [src]="src"
              sandbox="allow-scripts allow-forms allow-popups allow-modals allow-downloads"
              referrerpolicy="no-referrer"
              title="Preview of the sandbox"
              data-testid="preview-frame"
            ></iframe>
          }
        }
      }
    </div>
  `,
  styles: `
    .preview {
      display: flex;
      flex-direction: column;
      gap: 8px;
      height: 100%;
      min-height: 420px;
    }
    .address {
      display: flex;
      align-items: center;
      gap: 4px;
      padding: 2px 4px 2px 10px;
      border: 1px solid var(--mat-sys-outline-variant);
      border-radius: 999px;
    }
    .port {
      width: 80px;
    }
    .address-input {
      flex: 1;
      min-width: 0;
      border: 0;
      outline: none;
      background: transparent;
      color: inherit;
      font-size: 13px;
    }
    .frame {
      flex: 1;
      min-height: 380px;
      width: 100%;
      border: 1px solid var(--mat-sys-outline-variant);
      border-radius: 8px;
      background: #fff;
    }
  `,
})
export class PreviewPane {
  readonly previews = input<PreviewUrl[]>([]);

  private readonly sanitizer = inject(DomSanitizer);
  private readonly origin = inject(DOCUMENT).location.origin;

  protected readonly port = signal<number | null>(null);
  /** What the address bar shows (edited freely until Go). */
  protected readonly address = signal('');
  /** The address loaded in the frame. */
  protected readonly current = signal('');
  protected readonly invalid = signal(false);
  /** Bumped to reload the same address. */
  private readonly reloads = signal(0);

  protected readonly frameSrc = computed<SafeResourceUrl | null>(() => {
    const url = this.current();
    this.reloads();
    // A fresh object each time, so the frame reloads even for the same address.
    return url ? this.sanitizer.bypassSecurityTrustResourceUrl(url) : null;
  });

  /**
   * Scripts run in the preview; it keeps an origin of its own only when that is not the dashboard's (a page on the
   * dashboard's origin with scripts and its origin could reach the dashboard).
   */
  protected readonly ownOrigin = computed(() => {
    const url = this.current();
    return !!url && new URL(url).origin !== this.origin;
  });

  constructor() {
    // Follow the previews: pick the first port, and keep the chosen port's address current when it changes.
    effect(() => {
      const previews = this.previews();
      untracked(() => {
        const chosen = previews.find((p) => p.port === this.port()) ?? previews[0];
        if (!chosen) return;
        const url = toWebUrl(chosen.url, this.origin);
        if (chosen.port !== this.port() || !url || !this.current().startsWith(url)) this.show(chosen);
      });
    });
  }

  protected pickPort(port: number): void {
    const preview = this.previews().find((p) => p.port === port);
    if (preview) this.show(preview);
  }

  protected go(): void {
    const url = toWebUrl(this.address(), this.origin);
    this.invalid.set(url === null);
    if (!url) return;
    this.address.set(url);
    this.current.set(url);
    this.reloads.update((n) => n + 1);
  }

  protected reload(): void {
    this.reloads.update((n) => n + 1);
  }

  private show(preview: PreviewUrl): void {
    const url = toWebUrl(preview.url, this.origin);
    this.port.set(preview.port);
    this.address.set(url ?? preview.url);
    this.invalid.set(url === null);
    this.current.set(url ?? '');
  }
}
