import { HttpClient } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, computed, inject, input, resource } from '@angular/core';
import { DomSanitizer } from '@angular/platform-browser';
import { firstValueFrom } from 'rxjs';

interface PublicShare {
  id: string;
  title: string | null;
  port: number;
  url: string;
  live: boolean;
}

/** A session's preview shared by link: anyone holding it sees the app, until the link is revoked. */
@Component({
  selector: 'app-public-preview',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <main class="preview" data-testid="public-preview">
      @if (share.isLoading()) {
        <p class="note">Loading the preview…</p>
      } @else if (share.error()) {
        <p class="note" data-testid="public-preview-missing">This preview link was revoked or never existed.</p>
      } @else if (share.value(); as s) {
        <header>
          <h1 data-testid="public-preview-title">{{ s.title || 'Shared preview' }}</h1>
          <span class="port">port {{ s.port }}</span>
          <a [href]="s.url" target="_blank" rel="noopener" data-testid="public-preview-open">Open in a new tab</a>
        </header>
        @if (s.live) {
          <iframe [src]="frame()" title="Shared preview" data-testid="public-preview-frame"></iframe>
        } @else {
          <p class="note" data-testid="public-preview-offline">The session behind this preview is not running right now.</p>
        }
      }
    </main>
  `,
  styles: `
    .preview { display: flex; flex-direction: column; height: 100vh; font-family: system-ui, sans-serif; }
    header { display: flex; gap: 16px; align-items: baseline; padding: 8px 16px; border-bottom: 1px solid #e5e7eb; }
    h1 { font-size: 18px; margin: 0; }
    .port { color: #6b7280; }
    iframe { flex: 1; border: 0; width: 100%; }
    .note { padding: 24px; color: #374151; }
  `,
})
export class PublicPreviewPage {
  readonly id = input.required<string>();
  private readonly http = inject(HttpClient);
  private readonly sanitizer = inject(DomSanitizer);
  protected readonly share = resource({
    params: () => this.id(),
    loader: ({ params }) => firstValueFrom(this.http.get<PublicShare>(`/api/previews/${encodeURIComponent(params)}`)),
  });
  // The URL comes from our own API and points at the preview origin; it is the one thing this page frames.
  protected readonly frame = computed(() => {
    const url = this.share.value()?.url;
    return url ? this.sanitizer.bypassSecurityTrustResourceUrl(url) : null;
  });
}
