import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { RouterOutlet } from '@angular/router';
import { SessionStore } from './core/session.store';
import { ErrorBanner } from './shared/error-banner.component';

@Component({
  selector: 'app-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterOutlet, ErrorBanner],
  template: `
    @if (store.loadError(); as error) {
      <app-error-banner class="global-error" [error]="error" retryLabel="Retry" (retry)="store.refresh()" />
    }
    <router-outlet />
  `,
})
export class App {
  protected readonly store = inject(SessionStore);
}
