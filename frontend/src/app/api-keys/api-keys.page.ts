import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { rxResource } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTableModule } from '@angular/material/table';
import { firstValueFrom } from 'rxjs';
import { Api } from '../api/api.service';
import { toApiError } from '../api/api-error';
import type { ApiKey } from '../api/types';
import { SessionStore } from '../core/session.store';
import { ConfirmDialog, ConfirmData } from '../shared/confirm-dialog.component';
import { EmptyState } from '../shared/empty-state.component';
import { ErrorBanner } from '../shared/error-banner.component';
import { Icon } from '../shared/icon.component';
import { CreateApiKeyDialog } from './create-api-key-dialog.component';

@Component({
  selector: 'app-api-keys-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [DatePipe, MatButtonModule, MatProgressBarModule, MatTableModule, EmptyState, ErrorBanner, Icon],
  template: `
    <div class="page">
      <header class="page-header">
        <div>
          <h1 data-testid="page-heading">API keys</h1>
          <p class="muted">Your keys for {{ store.activeOrg()?.name }}. Each acts as you, in this organisation only.</p>
        </div>
        <button mat-flat-button type="button" (click)="create()" data-testid="api-key-create">
          <app-icon name="plus" [size]="18" /> Create API key
        </button>
      </header>

      <section class="section-card surface" aria-label="API keys">
        @if (keys.isLoading()) {
          <mat-progress-bar mode="indeterminate" aria-label="Loading API keys" />
        }
        <app-error-banner [error]="keys.error()" retryLabel="Retry" (retry)="keys.reload()" />
        @if (rows().length > 0) {
          <div class="table-scroll">
            <table mat-table [dataSource]="rows()" data-testid="api-keys-table" aria-label="API keys">
              <ng-container matColumnDef="name">
                <th mat-header-cell *matHeaderCellDef>Name</th>
                <td mat-cell *matCellDef="let k">{{ k.name ?? 'Unnamed key' }}</td>
              </ng-container>
              <ng-container matColumnDef="key">
                <th mat-header-cell *matHeaderCellDef>Key</th>
                <td mat-cell *matCellDef="let k"><code>{{ k.start ? k.start + '…' : '••••' }}</code></td>
              </ng-container>
              <ng-container matColumnDef="created">
                <th mat-header-cell *matHeaderCellDef>Created</th>
                <td mat-cell *matCellDef="let k">{{ k.createdAt | date: 'mediumDate' }}</td>
              </ng-container>
              <ng-container matColumnDef="lastUsed">
                <th mat-header-cell *matHeaderCellDef>Last used</th>
                <td mat-cell *matCellDef="let k">{{ k.lastUsedAt ? (k.lastUsedAt | date: 'medium') : 'Never' }}</td>
              </ng-container>
              <ng-container matColumnDef="expires">
                <th mat-header-cell *matHeaderCellDef>Expires</th>
                <td mat-cell *matCellDef="let k">{{ k.expiresAt ? (k.expiresAt | date: 'mediumDate') : 'Never' }}</td>
              </ng-container>
              <ng-container matColumnDef="actions">
                <th mat-header-cell *matHeaderCellDef><span class="cdk-visually-hidden">Actions</span></th>
                <td mat-cell *matCellDef="let k" class="actions-cell">
                  <button
                    mat-button
                    type="button"
                    class="danger-text"
                    (click)="revoke(k)"
                    [disabled]="busyId() === k.id"
                    [attr.aria-label]="'Revoke ' + (k.name ?? 'key')"
                    data-testid="api-key-revoke"
                  >
                    Revoke
                  </button>
                </td>
              </ng-container>
              <tr mat-header-row *matHeaderRowDef="columns"></tr>
              <tr mat-row *matRowDef="let k; columns: columns" data-testid="api-key-row" [attr.data-name]="k.name"></tr>
            </table>
          </div>
        } @else if (keys.hasValue()) {
          <app-empty-state title="No API keys yet" icon="key">Create one to use the CLI or call the API from scripts.</app-empty-state>
        }
      </section>
    </div>
  `,
})
export class ApiKeysPage {
  private readonly api = inject(Api);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  protected readonly store = inject(SessionStore);

  protected readonly columns = ['name', 'key', 'created', 'lastUsed', 'expires', 'actions'];
  protected readonly busyId = signal<string | null>(null);
  protected readonly keys = rxResource({ params: () => this.store.activeOrgId() ?? undefined, stream: () => this.api.listApiKeys() });
  protected readonly rows = computed<ApiKey[]>(() =>
    this.keys.hasValue() ? [...this.keys.value().apiKeys].sort((a, b) => b.createdAt.localeCompare(a.createdAt)) : [],
  );

  async create(): Promise<void> {
    const created = await firstValueFrom(this.dialog.open(CreateApiKeyDialog, { width: '520px' }).afterClosed());
    if (created) this.snackBar.open(`Created ${created.name ?? 'API key'}`, undefined, { duration: 3000 });
    this.keys.reload();
  }

  async revoke(key: ApiKey): Promise<void> {
    const data: ConfirmData = {
      title: 'Revoke API key',
      message: `Revoke ${key.name ?? 'this key'}? Anything using it stops working at once.`,
      confirm: 'Revoke',
      danger: true,
    };
    const ok = (await firstValueFrom(this.dialog.open(ConfirmDialog, { data, width: '420px' }).afterClosed())) === true;
    if (!ok) return;
    this.busyId.set(key.id);
    try {
      await firstValueFrom(this.api.revokeApiKey(key.id));
      this.snackBar.open(`Revoked ${key.name ?? 'the key'}`, undefined, { duration: 3000 });
      this.keys.reload();
    } catch (err) {
      this.snackBar.open(toApiError(err).message, 'Dismiss', { duration: 6000 });
    } finally {
      this.busyId.set(null);
    }
  }
}
