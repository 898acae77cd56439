import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { MatSnackBar } from '@angular/material/snack-bar';
import { Router } from '@angular/router';
import { firstValueFrom } from 'rxjs';
import { Api } from '../api/api.service';
import { toApiError } from '../api/api-error';
import { SessionStore } from '../core/session.store';
import { Icon } from '../shared/icon.component';

/** Always visible while a super-admin acts as someone else. */
@Component({
  selector: 'app-impersonation-banner',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatButtonModule, MatProgressSpinnerModule, Icon],
  template: `
    @if (store.impersonation(); as imp) {
      <div class="impersonation" role="status" data-testid="impersonation-banner">
        <app-icon name="admin" [size]="18" />
        <span>You are impersonating <strong>{{ imp.email }}</strong>.</span>
        <button mat-stroked-button type="button" (click)="stop()" [disabled]="busy()" data-testid="stop-impersonating">
          @if (busy()) {
            <mat-progress-spinner mode="indeterminate" diameter="16" aria-label="Stopping" />
          }
          Stop impersonating
        </button>
      </div>
    }
  `,
  styles: `
    .impersonation {
      display: flex;
      align-items: center;
      gap: 12px;
      flex-wrap: wrap;
      padding: 6px 16px;
      background: var(--mat-sys-tertiary-container);
      color: var(--mat-sys-on-tertiary-container);
    }
    .impersonation button {
      margin-left: auto;
    }
  `,
})
export class ImpersonationBanner {
  protected readonly store = inject(SessionStore);
  private readonly api = inject(Api);
  private readonly router = inject(Router);
  private readonly snackBar = inject(MatSnackBar);
  protected readonly busy = signal(false);

  async stop(): Promise<void> {
    this.busy.set(true);
    try {
      await firstValueFrom(this.api.stopImpersonating());
      await this.store.refresh();
      await this.router.navigateByUrl(this.store.isSuperAdmin() ? '/admin' : '/');
    } catch (err) {
      this.snackBar.open(toApiError(err).message, 'Dismiss', { duration: 6000 });
    } finally {
      this.busy.set(false);
    }
  }
}
