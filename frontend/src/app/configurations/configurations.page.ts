import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { rxResource } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatMenuModule } from '@angular/material/menu';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatTableModule } from '@angular/material/table';
import { MatTooltipModule } from '@angular/material/tooltip';
import { Router, RouterLink } from '@angular/router';
import { firstValueFrom, map } from 'rxjs';
import { Api } from '../api/api.service';
import type { Configuration, SessionType } from '../api/types';
import { SessionStore } from '../core/session.store';
import { startSession } from '../sessions/new-session-dialog.component';
import { EmptyState } from '../shared/empty-state.component';
import { ErrorBanner } from '../shared/error-banner.component';
import { Icon } from '../shared/icon.component';
import { CONFIGURATION_STATUS_HINTS, CONFIGURATION_STATUS_LABELS } from './configuration-labels';
import { CreateConfigurationDialog } from './create-configuration-dialog.component';

/** The organisation's configurations: what a new sandbox starts with. */
@Component({
  selector: 'app-configurations-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterLink, MatButtonModule, MatMenuModule, MatProgressBarModule, MatTableModule, MatTooltipModule, EmptyState, ErrorBanner, Icon],
  template: `
    <div class="page">
      <header class="page-header">
        <div>
          <h1 data-testid="page-heading">Configurations</h1>
          <p class="muted">Repositories, services, env files and a snapshot: what a new session's sandbox starts from.</p>
        </div>
        <button mat-flat-button type="button" (click)="create()" data-testid="configuration-create">
          <app-icon name="plus" [size]="18" /> New configuration
        </button>
      </header>

      <section class="section-card surface" aria-label="Configurations">
        @if (configurations.isLoading()) {
          <mat-progress-bar mode="indeterminate" aria-label="Loading configurations" />
        }
        <app-error-banner [error]="configurations.error()" retryLabel="Retry" (retry)="configurations.reload()" />
        @if (rows().length > 0) {
          <div class="table-scroll">
            <table mat-table [dataSource]="rows()" data-testid="configurations-table" aria-label="Configurations">
              <ng-container matColumnDef="name">
                <th mat-header-cell *matHeaderCellDef>Name</th>
                <td mat-cell *matCellDef="let c">
                  <a [routerLink]="['/configurations', c.id]" class="name-link" data-testid="configuration-link">{{ c.name }}</a>
                </td>
              </ng-container>
              <ng-container matColumnDef="status">
                <th mat-header-cell *matHeaderCellDef>Snapshot</th>
                <td mat-cell *matCellDef="let c">
                  <span class="status-chip" [attr.data-status]="c.status" [matTooltip]="hints[$any(c.status)]" data-testid="configuration-status">{{
                    labels[$any(c.status)] ?? c.status
                  }}</span>
                </td>
              </ng-container>
              <ng-container matColumnDef="repos">
                <th mat-header-cell *matHeaderCellDef>Repositories</th>
                <td mat-cell *matCellDef="let c">{{ repoNames(c) }}</td>
              </ng-container>
              <ng-container matColumnDef="services">
                <th mat-header-cell *matHeaderCellDef class="num">Services</th>
                <td mat-cell *matCellDef="let c" class="num">{{ c.serviceCommands.length }}</td>
              </ng-container>
              <ng-container matColumnDef="actions">
                <th mat-header-cell *matHeaderCellDef><span class="cdk-visually-hidden">Actions</span></th>
                <td mat-cell *matCellDef="let c" class="actions-cell">
                  <button mat-stroked-button type="button" [matMenuTriggerFor]="start" [matMenuTriggerData]="{ c: c }" data-testid="configuration-start">
                    <app-icon name="play" [size]="16" /> Start session
                  </button>
                </td>
              </ng-container>
              <tr mat-header-row *matHeaderRowDef="columns"></tr>
              <tr mat-row *matRowDef="let c; columns: columns" data-testid="configuration-row" [attr.data-name]="c.name" [attr.data-configuration-id]="c.id"></tr>
            </table>
          </div>
          <mat-menu #start="matMenu">
            <ng-template matMenuContent let-c="c">
              <button mat-menu-item (click)="startSession(c, 'coding')" data-testid="configuration-start-coding">Coding session</button>
              <button mat-menu-item (click)="startSession(c, 'setup')" data-testid="configuration-start-setup">Setup session</button>
            </ng-template>
          </mat-menu>
        } @else if (configurations.hasValue()) {
          <app-empty-state title="No configurations yet" icon="configuration">
            <p>Create one from your <a routerLink="/repos">repositories</a> to give sessions a ready workspace.</p>
          </app-empty-state>
        }
      </section>
    </div>
  `,
  styles: `
    .name-link {
      font-weight: 500;
    }
    .num {
      text-align: right;
    }
  `,
})
export class ConfigurationsPage {
  private readonly api = inject(Api);
  private readonly dialog = inject(MatDialog);
  private readonly router = inject(Router);
  private readonly store = inject(SessionStore);

  protected readonly columns = ['name', 'status', 'repos', 'services', 'actions'];
  protected readonly labels: Record<string, string> = CONFIGURATION_STATUS_LABELS;
  protected readonly hints: Record<string, string> = CONFIGURATION_STATUS_HINTS;
  protected readonly configurations = rxResource({
    params: () => this.store.activeOrgId() ?? undefined,
    stream: () => this.api.listConfigurations({ limit: 100 }).pipe(map((r) => r.configurations)),
  });
  protected readonly rows = computed(() => (this.configurations.hasValue() ? [...this.configurations.value()].sort((a, b) => a.name.localeCompare(b.name)) : []));

  protected repoNames(c: Configuration): string {
    return c.repos.map((r) => r.name).join(', ') || '—';
  }

  async create(): Promise<void> {
    const created = await firstValueFrom(this.dialog.open(CreateConfigurationDialog, { width: '560px' }).afterClosed());
    if (created) await this.router.navigate(['/configurations', created.id]);
  }

  async startSession(c: Configuration, sessionType: SessionType): Promise<void> {
    await startSession(this.dialog, this.router, { configurationId: c.id, sessionType });
  }
}
