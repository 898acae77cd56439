import { ChangeDetectionStrategy, Component, computed, input, output } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { toApiError } from '../api/api-error';
import { Icon } from './icon.component';

/** A failed request, in words, with an optional retry. Renders nothing while `error` is empty. */
@Component({
  selector: 'app-error-banner',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatButtonModule, Icon],
  template: `
    @if (message(); as text) {
      <div class="banner banner-error" role="alert" data-testid="error-banner">
        <app-icon name="warning" />
        <span class="banner-text">{{ text }}</span>
        @if (retryLabel()) {
          <button mat-button type="button" (click)="retry.emit()">{{ retryLabel() }}</button>
        }
      </div>
    }
  `,
})
export class ErrorBanner {
  /** An `ApiError`, any other error, or a plain message. */
  readonly error = input<unknown>(null);
  readonly retryLabel = input<string>('');
  readonly retry = output<void>();

  protected readonly message = computed(() => {
    const error = this.error();
    if (error === null || error === undefined || error === '') return null;
    return typeof error === 'string' ? error : toApiError(error).message;
  });
}
