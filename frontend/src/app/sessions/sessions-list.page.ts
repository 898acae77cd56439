import { ChangeDetectionStrategy, Component, DestroyRef, computed, effect, inject, input, signal, untracked } from '@angular/core';
import { rxResource } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { MatSelectModule } from '@angular/material/select';
import { MatTableModule } from '@angular/material/table';
import { MatTooltipModule } from '@angular/material/tooltip';
import { Router, RouterLink } from '@angular/router';
import { firstValueFrom, map } from 'rxjs';
import { Api } from '../api/api.service';
import type { SessionStatus, SessionView } from '../api/types';
import { SessionStore } from '../core/session.store';
import { Clock } from '../shared/clock.service';
import { EmptyState } from '../shared/empty-state.component';
import { ErrorBanner } from '../shared/error-banner.component';
import { Icon } from '../shared/icon.component';
import { startSession } from './new-session-dialog.component';
import { STATUS_LABELS, activeSeconds, formatDuration, prLabel, relativeTime } from './session-labels';
import { SessionPeek, type PeekData } from './session-peek.component';
import { SessionStatusChip } from './session-status.component';

const PAGE_SIZE = 25;
const STATUS_FILTERS: SessionStatus[] = ['running', 'starting', 'pending', 'migrating', 'paused', 'stopped', 'failed'];

/**
 * The organisation's sessions with their telemetry, filtered by status and configuration (both in the URL), paged
 * with the server's cursor. A row opens a peek drawer that is part of the URL too (`?peek=<id>`), so it deep-links.
 */
@Component({
  selector: 'app-sessions-list-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    RouterLink,
    MatButtonModule,
    MatFormFieldModule,
    MatProgressBarModule,
    MatProgressSpinnerModule,
    MatSelectModule,
    MatTableModule,
    MatTooltipModule,
    EmptyState,
    ErrorBanner,
    Icon,
    SessionStatusChip,
  ],
  template: `
    <div class="page">
      <header class="page-header">
        <div>
          <h1 data-testid="page-heading">Sessions</h1>
          <p class="muted">Agents at work in cloud sandboxes, with what they did and the pull requests they opened.</p>
        </div>
        <button mat-flat-button type="button" (click)="newSession()" data-testid="new-session">
          <app-icon name="plus" [size]="18" /> New session
        </button>
      </header>

      <section class="filters" aria-label="Filters">
        <mat-form-field class="filter">
          <mat-label>Status</mat-label>
          <mat-select [value]="status() ?? ''" (selectionChange)="setFilter('status', $event.value)" data-testid="sessions-filter-status">
            <mat-option value="">All statuses</mat-option>
            @for (s of statusFilters; track s) {
              <mat-option [value]="s">{{ statusLabels[s] }}</mat-option>
            }
          </mat-select>
        </mat-form-field>
        <mat-form-field class="filter">
          <mat-label>Configuration</mat-label>
          <mat-select
            [value]="configuration() ?? ''"
            (selectionChange)="setFilter('configuration', $event.value)"
            [disabled]="!configurations.hasValue()"
            data-testid="sessions-filter-configuration"
          >
            <mat-option value="">All configurations</mat-option>
            @for (c of configurationOptions(); track c.id) {
              <mat-option [value]="c.id">{{ c.name }}</mat-option>
            }
          </mat-select>
        </mat-form-field>
        <button mat-button type="button" (click)="reload()" [disabled]="loading()" data-testid="sessions-refresh">
          <app-icon name="refresh" [size]="18" /> Refresh
        </button>
      </section>

      <section class="section-card surface" aria-label="Sessions">
        @if (loading()) {
          <mat-progress-bar mode="indeterminate" aria-label="Loading sessions" />
        }
        <app-error-banner [error]="error()" retryLabel="Retry" (retry)="reload()" />
        @if (rows().length > 0) {
          <div class="table-scroll">
            <table mat-table [dataSource]="rows()" data-testid="sessions-table" aria-label="Sessions" class="sessions-table">
              <ng-container matColumnDef="title">
                <th mat-header-cell *matHeaderCellDef>Session</th>
                <td mat-cell *matCellDef="let s" class="title-cell">
                  <a class="title-link" [routerLink]="['/sessions', s.id]" (click)="$event.stopPropagation()" data-testid="session-row-link">
                    {{ s.title || 'Untitled session' }}
                  </a>
                  @if (s.latestTask) {
                    <div class="subtitle muted small" data-testid="session-row-task">{{ s.latestTask }}</div>
                  }
                </td>
              </ng-container>
              <ng-container matColumnDef="status">
                <th mat-header-cell *matHeaderCellDef>Status</th>
                <td mat-cell *matCellDef="let s">
                  <app-session-status [status]="s.status" [pauseReason]="s.pauseReason" [displayStatus]="s.displayStatus" />
                </td>
              </ng-container>
              <ng-container matColumnDef="configuration">
                <th mat-header-cell *matHeaderCellDef>Configuration</th>
                <td mat-cell *matCellDef="let s">{{ s.configuration?.name ?? 'Scratch' }}</td>
              </ng-container>
              <ng-container matColumnDef="toolCalls">
                <th mat-header-cell *matHeaderCellDef class="num">Tool calls</th>
                <td mat-cell *matCellDef="let s" class="num" data-testid="session-row-tool-calls">{{ s.metrics.toolCalls }}</td>
              </ng-container>
              <ng-container matColumnDef="messages">
                <th mat-header-cell *matHeaderCellDef class="num">Messages</th>
                <td mat-cell *matCellDef="let s" class="num" data-testid="session-row-messages">{{ s.metrics.messagesExchanged }}</td>
              </ng-container>
              <ng-container matColumnDef="activeTime">
                <th mat-header-cell *matHeaderCellDef class="num">Active</th>
                <td mat-cell *matCellDef="let s" class="num" data-testid="session-row-active">{{ duration(active(s)) }}</td>
              </ng-container>
              <ng-container matColumnDef="outcome">
                <th mat-header-cell *matHeaderCellDef>Outcome</th>
                <td mat-cell *matCellDef="let s">
                  @if (s.outcome) {
                    <span class="status-chip outcome" [attr.data-outcome]="s.outcome" data-testid="session-row-outcome">{{ outcomeLabel(s.outcome) }}</span>
                  } @else {
                    <span class="muted">—</span>
                  }
                </td>
              </ng-container>
              <ng-container matColumnDef="prs">
                <th mat-header-cell *matHeaderCellDef>PRs</th>
                <td mat-cell *matCellDef="let s" data-testid="session-row-prs">
                  @if (s.prUrls.length) {
                    <span class="prs">
                      <app-icon name="pr" [size]="16" />
                      <span class="pr-count">{{ s.prUrls.length }}</span>
                      @for (url of s.prUrls; track url) {
                        <a [href]="url" target="_blank" rel="noopener noreferrer" (click)="$event.stopPropagation()" [matTooltip]="url">{{ pr(url) }}</a>
                      }
                    </span>
                  } @else {
                    <span class="muted">—</span>
                  }
                </td>
              </ng-container>
              <ng-container matColumnDef="createdBy">
                <th mat-header-cell *matHeaderCellDef>Started by</th>
                <td mat-cell *matCellDef="let s">{{ s.createdBy?.name ?? 'Automation' }}</td>
              </ng-container>
              <ng-container matColumnDef="lastActivity">
                <th mat-header-cell *matHeaderCellDef>Last activity</th>
                <td mat-cell *matCellDef="let s" [attr.title]="s.lastActivityAt">{{ since(s.lastActivityAt) }}</td>
              </ng-container>
              <tr mat-header-row *matHeaderRowDef="columns"></tr>
              <tr
                mat-row
                *matRowDef="let s; columns: columns"
                class="session-row"
                [class.peeked]="s.id === peek()"
                tabindex="0"
                role="link"
                [attr.aria-label]="'Peek at ' + (s.title || 'untitled session')"
                (click)="openPeek(s)"
                (keydown.enter)="openPeek(s)"
                data-testid="session-row"
                [attr.data-session-id]="s.id"
              ></tr>
            </table>
          </div>
          @if (cursor()) {
            <div class="more">
              <button mat-stroked-button type="button" (click)="loadMore()" [disabled]="loadingMore()" data-testid="sessions-load-more">
                @if (loadingMore()) {
                  <mat-progress-spinner mode="indeterminate" diameter="16" aria-label="Loading more sessions" />
                }
                Load more
              </button>
            </div>
          }
        } @else if (loaded() && !error()) {
          @if (status() || configuration()) {
            <app-empty-state title="No sessions match these filters" icon="search">
              <button mat-button type="button" (click)="clearFilters()" data-testid="sessions-clear-filters">Clear filters</button>
            </app-empty-state>
          } @else {
            <app-empty-state title="No sessions yet" icon="sessions">
              <p>Start one to work with an agent in a sandbox with your repositories.</p>
              <button mat-flat-button type="button" (click)="newSession()" data-testid="sessions-empty-new">New session</button>
            </app-empty-state>
          }
        }
      </section>
    </div>
  `,
  styles: `
    .filters {
      display: flex;
      flex-wrap: wrap;
      gap: 12px;
      align-items: center;
    }
    .filter {
      width: 220px;
    }
    .sessions-table {
      min-width: 1080px;
    }
    .session-row {
      cursor: pointer;
    }
    .session-row:hover,
    .session-row:focus-visible,
    .session-row.peeked {
      background: var(--mat-sys-surface-container);
      outline: none;
    }
    .title-cell {
      max-width: 340px;
    }
    .title-link {
      font-weight: 500;
      text-decoration: none;
      color: var(--mat-sys-on-surface);
    }
    .title-link:hover {
      text-decoration: underline;
    }
    .subtitle {
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    .num {
      text-align: right;
      font-variant-numeric: tabular-nums;
    }
    .prs {
      display: inline-flex;
      gap: 6px;
      align-items: center;
    }
    .outcome[data-outcome='failed'] {
      background: var(--mat-sys-error-container);
      color: var(--mat-sys-on-error-container);
    }
    .outcome[data-outcome='succeeded'],
    .outcome[data-outcome='completed'] {
      background: var(--mat-sys-primary-container);
      color: var(--mat-sys-on-primary-container);
    }
    .outcome[data-outcome='needs_human'] {
      background: var(--mat-sys-tertiary-container);
      color: var(--mat-sys-on-tertiary-container);
    }
    .more {
      display: flex;
      justify-content: center;
      padding: 12px;
    }
  `,
})
export class SessionsListPage {
  private readonly api = inject(Api);
  private readonly dialog = inject(MatDialog);
  private readonly router = inject(Router);
  private readonly clock = inject(Clock);
  protected readonly store = inject(SessionStore);

  /** `?peek=<sessionId>`: the session shown in the peek drawer. */
  readonly peek = input<string>();
  /** `?status=`: a session status to filter by. */
  readonly status = input<SessionStatus>();
  /** `?configuration=`: a configuration id to filter by. */
  readonly configuration = input<string>();

  protected readonly columns = ['title', 'status', 'configuration', 'toolCalls', 'messages', 'activeTime', 'outcome', 'prs', 'createdBy', 'lastActivity'];
  protected readonly statusFilters = STATUS_FILTERS;
  protected readonly statusLabels = STATUS_LABELS;

  protected readonly rows = signal<SessionView[]>([]);
  protected readonly cursor = signal<string | null>(null);
  protected readonly loading = signal(false);
  protected readonly loadingMore = signal(false);
  protected readonly loaded = signal(false);
  protected readonly error = signal<unknown>(null);
  private generation = 0;
  /** The open drawer and the session it shows. */
  private peekRef: { ref: MatDialogRef<SessionPeek, 'open'>; id: string } | null = null;

  protected readonly configurations = rxResource({
    params: () => this.store.activeOrgId() ?? undefined,
    stream: () => this.api.listConfigurations({ limit: 100 }).pipe(map((r) => r.configurations)),
  });
  protected readonly configurationOptions = computed(() => (this.configurations.hasValue() ? this.configurations.value() : []));

  private readonly query = computed(() => ({ org: this.store.activeOrgId(), status: this.status(), configurationId: this.configuration() }));

  constructor() {
    effect(() => {
      const query = this.query();
      untracked(() => void this.load(query.status, query.configurationId));
    });
    effect(() => {
      const id = this.peek();
      untracked(() => this.syncPeek(id));
    });
    inject(DestroyRef).onDestroy(() => {
      const open = this.peekRef;
      this.peekRef = null;
      open?.ref.close();
    });
  }

  protected reload(): void {
    void this.load(this.status(), this.configuration());
  }

  private async load(status: SessionStatus | undefined, configurationId: string | undefined): Promise<void> {
    const generation = ++this.generation;
    this.loading.set(true);
    this.error.set(null);
    try {
      const page = await firstValueFrom(this.api.listSessions({ status, configurationId, limit: PAGE_SIZE }));
      if (generation !== this.generation) return;
      this.rows.set(page.sessions);
      this.cursor.set(page.nextCursor);
    } catch (err) {
      if (generation !== this.generation) return;
      this.error.set(err);
    } finally {
      if (generation === this.generation) {
        this.loading.set(false);
        this.loaded.set(true);
      }
    }
  }

  protected async loadMore(): Promise<void> {
    const before = this.cursor();
    if (!before) return;
    const generation = this.generation;
    this.loadingMore.set(true);
    try {
      const page = await firstValueFrom(this.api.listSessions({ status: this.status(), configurationId: this.configuration(), limit: PAGE_SIZE, before }));
      if (generation !== this.generation) return;
      const seen = new Set(this.rows().map((r) => r.id));
      this.rows.update((rows) => [...rows, ...page.sessions.filter((s) => !seen.has(s.id))]);
      this.cursor.set(page.nextCursor);
    } catch (err) {
      this.error.set(err);
    } finally {
      this.loadingMore.set(false);
    }
  }

  protected setFilter(name: 'status' | 'configuration', value: string): void {
    void this.router.navigate([], { queryParams: { [name]: value || null }, queryParamsHandling: 'merge' });
  }

  protected clearFilters(): void {
    void this.router.navigate([], { queryParams: { status: null, configuration: null }, queryParamsHandling: 'merge' });
  }

  protected openPeek(session: SessionView): void {
    void this.router.navigate([], { queryParams: { peek: session.id }, queryParamsHandling: 'merge' });
  }

  protected async newSession(): Promise<void> {
    await startSession(this.dialog, this.router, { configurationId: this.configuration() ?? null });
  }

  /** Opens, swaps or closes the drawer to match `?peek=`; closing the drawer takes `peek` out of the URL. */
  private syncPeek(id: string | undefined): void {
    const current = this.peekRef;
    if (current && current.id === id) return;
    this.peekRef = null;
    current?.ref.close();
    if (!id) return;
    const data: PeekData = { sessionId: id, row: this.rows().find((r) => r.id === id) };
    const ref = this.dialog.open<SessionPeek, PeekData, 'open'>(SessionPeek, {
      data,
      position: { right: '0', top: '0' },
      height: '100%',
      width: 'min(480px, 100vw)',
      maxWidth: '100vw',
      panelClass: 'peek-panel',
      ariaLabel: 'Session details',
    });
    this.peekRef = { ref, id };
    ref.afterClosed().subscribe((result) => {
      if (this.peekRef?.ref !== ref) return;
      this.peekRef = null;
      if (result !== 'open' && this.peek() === id) {
        void this.router.navigate([], { queryParams: { peek: null }, queryParamsHandling: 'merge', replaceUrl: true });
      }
    });
  }

  protected since(iso: string): string {
    return relativeTime(iso, this.clock.now());
  }

  protected active(s: SessionView): number {
    return activeSeconds(s, this.clock.now());
  }

  protected duration(seconds: number): string {
    return formatDuration(seconds);
  }

  protected pr(url: string): string {
    return prLabel(url);
  }

  protected outcomeLabel(outcome: string): string {
    return outcome === 'needs_human' ? 'Needs a human' : outcome.charAt(0).toUpperCase() + outcome.slice(1);
  }
}
