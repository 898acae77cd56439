import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { rxResource, takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { FormControl, ReactiveFormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatPaginatorModule, PageEvent } from '@angular/material/paginator';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTableModule } from '@angular/material/table';
import { MatTabsModule } from '@angular/material/tabs';
import { Router } from '@angular/router';
import { debounceTime, distinctUntilChanged, firstValueFrom } from 'rxjs';
import { Api } from '../api/api.service';
import { toApiError } from '../api/api-error';
import type { AdminUser } from '../api/types';
import { SessionStore } from '../core/session.store';
import { ConfirmData, ConfirmDialog } from '../shared/confirm-dialog.component';
import { EmptyState } from '../shared/empty-state.component';
import { ErrorBanner } from '../shared/error-banner.component';

const PAGE_SIZE = 25;

/** Every user and organisation on the platform; super-admins only. */
@Component({
  selector: 'app-admin-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    DatePipe,
    ReactiveFormsModule,
    MatButtonModule,
    MatFormFieldModule,
    MatInputModule,
    MatPaginatorModule,
    MatProgressBarModule,
    MatTableModule,
    MatTabsModule,
    EmptyState,
    ErrorBanner,
  ],
  template: `
    <div class="page">
      <header class="page-header">
        <div>
          <h1 data-testid="page-heading">Admin</h1>
          <p class="muted">Every user and organisation. Impersonating someone lets you see the dashboard as they do.</p>
        </div>
      </header>

      <mat-tab-group animationDuration="0ms" class="section-card surface">
        <mat-tab label="Users">
          <div class="tab-body">
            <mat-form-field appearance="outline" class="search">
              <mat-label>Search users</mat-label>
              <input matInput type="search" [formControl]="userSearch" data-testid="admin-user-search" />
            </mat-form-field>
            @if (users.isLoading()) {
              <mat-progress-bar mode="indeterminate" aria-label="Loading users" />
            }
            <app-error-banner [error]="users.error()" retryLabel="Retry" (retry)="users.reload()" />
            @if (userRows().length > 0) {
              <div class="table-scroll">
                <table mat-table [dataSource]="userRows()" data-testid="admin-users-table" aria-label="Users">
                  <ng-container matColumnDef="name">
                    <th mat-header-cell *matHeaderCellDef>Name</th>
                    <td mat-cell *matCellDef="let u">
                      {{ u.name }}
                      @if (u.isSuperAdmin) {
                        <span class="role-chip" data-role="owner">super-admin</span>
                      }
                    </td>
                  </ng-container>
                  <ng-container matColumnDef="email">
                    <th mat-header-cell *matHeaderCellDef>Email</th>
                    <td mat-cell *matCellDef="let u">{{ u.email }}</td>
                  </ng-container>
                  <ng-container matColumnDef="verified">
                    <th mat-header-cell *matHeaderCellDef>Verified</th>
                    <td mat-cell *matCellDef="let u">{{ u.emailVerified ? 'Yes' : 'No' }}</td>
                  </ng-container>
                  <ng-container matColumnDef="orgs">
                    <th mat-header-cell *matHeaderCellDef>Organisations</th>
                    <td mat-cell *matCellDef="let u">{{ u.organizationCount }}</td>
                  </ng-container>
                  <ng-container matColumnDef="created">
                    <th mat-header-cell *matHeaderCellDef>Joined</th>
                    <td mat-cell *matCellDef="let u">{{ u.createdAt | date: 'mediumDate' }}</td>
                  </ng-container>
                  <ng-container matColumnDef="actions">
                    <th mat-header-cell *matHeaderCellDef><span class="cdk-visually-hidden">Actions</span></th>
                    <td mat-cell *matCellDef="let u" class="actions-cell">
                      @if (u.id !== store.user()?.id) {
                        <button
                          mat-stroked-button
                          type="button"
                          (click)="impersonate(u)"
                          [disabled]="busyId() !== null"
                          [attr.aria-label]="'Impersonate ' + u.email"
                          data-testid="admin-impersonate"
                        >
                          Impersonate
                        </button>
                      }
                    </td>
                  </ng-container>
                  <tr mat-header-row *matHeaderRowDef="userColumns"></tr>
                  <tr mat-row *matRowDef="let u; columns: userColumns" data-testid="admin-user-row" [attr.data-email]="u.email"></tr>
                </table>
              </div>
              <mat-paginator
                [length]="userTotal()"
                [pageSize]="pageSize"
                [pageIndex]="userPage()"
                [hidePageSize]="true"
                (page)="onUserPage($event)"
                aria-label="Users pages"
              />
            } @else if (users.hasValue()) {
              <app-empty-state title="No users found" icon="user" />
            }
          </div>
        </mat-tab>

        <mat-tab label="Organisations">
          <div class="tab-body">
            <mat-form-field appearance="outline" class="search">
              <mat-label>Search organisations</mat-label>
              <input matInput type="search" [formControl]="orgSearch" data-testid="admin-org-search" />
            </mat-form-field>
            @if (orgs.isLoading()) {
              <mat-progress-bar mode="indeterminate" aria-label="Loading organisations" />
            }
            <app-error-banner [error]="orgs.error()" retryLabel="Retry" (retry)="orgs.reload()" />
            @if (orgRows().length > 0) {
              <div class="table-scroll">
                <table mat-table [dataSource]="orgRows()" data-testid="admin-orgs-table" aria-label="Organisations">
                  <ng-container matColumnDef="name">
                    <th mat-header-cell *matHeaderCellDef>Name</th>
                    <td mat-cell *matCellDef="let o">{{ o.name }}</td>
                  </ng-container>
                  <ng-container matColumnDef="slug">
                    <th mat-header-cell *matHeaderCellDef>Slug</th>
                    <td mat-cell *matCellDef="let o"><code>{{ o.slug }}</code></td>
                  </ng-container>
                  <ng-container matColumnDef="members">
                    <th mat-header-cell *matHeaderCellDef>Members</th>
                    <td mat-cell *matCellDef="let o">{{ o.memberCount }}</td>
                  </ng-container>
                  <ng-container matColumnDef="created">
                    <th mat-header-cell *matHeaderCellDef>Created</th>
                    <td mat-cell *matCellDef="let o">{{ o.createdAt | date: 'mediumDate' }}</td>
                  </ng-container>
                  <tr mat-header-row *matHeaderRowDef="orgColumns"></tr>
                  <tr mat-row *matRowDef="let o; columns: orgColumns" data-testid="admin-org-row"></tr>
                </table>
              </div>
              <mat-paginator
                [length]="orgTotal()"
                [pageSize]="pageSize"
                [pageIndex]="orgPage()"
                [hidePageSize]="true"
                (page)="orgPage.set($event.pageIndex)"
                aria-label="Organisations pages"
              />
            } @else if (orgs.hasValue()) {
              <app-empty-state title="No organisations found" icon="organization" />
            }
          </div>
        </mat-tab>
      </mat-tab-group>
    </div>
  `,
  styles: `
    .tab-body {
      padding: 16px 0 0;
    }
    .search {
      width: min(100%, 360px);
      margin: 0 16px;
    }
  `,
})
export class AdminPage {
  private readonly api = inject(Api);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly router = inject(Router);
  protected readonly store = inject(SessionStore);

  protected readonly pageSize = PAGE_SIZE;
  protected readonly userColumns = ['name', 'email', 'verified', 'orgs', 'created', 'actions'];
  protected readonly orgColumns = ['name', 'slug', 'members', 'created'];
  protected readonly busyId = signal<string | null>(null);

  protected readonly userSearch = new FormControl('', { nonNullable: true });
  protected readonly orgSearch = new FormControl('', { nonNullable: true });
  private readonly userQuery = signal('');
  private readonly orgQuery = signal('');
  protected readonly userPage = signal(0);
  protected readonly orgPage = signal(0);

  protected readonly users = rxResource({
    params: () => ({ q: this.userQuery(), offset: this.userPage() * PAGE_SIZE }),
    stream: ({ params }) => this.api.adminUsers({ q: params.q || undefined, limit: PAGE_SIZE, offset: params.offset }),
  });
  protected readonly orgs = rxResource({
    params: () => ({ q: this.orgQuery(), offset: this.orgPage() * PAGE_SIZE }),
    stream: ({ params }) => this.api.adminOrganizations({ q: params.q || undefined, limit: PAGE_SIZE, offset: params.offset }),
  });

  protected readonly userRows = computed(() => (this.users.hasValue() ? this.users.value().users : []));
  protected readonly userTotal = computed(() => (this.users.hasValue() ? this.users.value().total : 0));
  protected readonly orgRows = computed(() => (this.orgs.hasValue() ? this.orgs.value().organizations : []));
  protected readonly orgTotal = computed(() => (this.orgs.hasValue() ? this.orgs.value().total : 0));

  constructor() {
    this.userSearch.valueChanges.pipe(debounceTime(300), distinctUntilChanged(), takeUntilDestroyed()).subscribe((q) => {
      this.userPage.set(0);
      this.userQuery.set(q.trim());
    });
    this.orgSearch.valueChanges.pipe(debounceTime(300), distinctUntilChanged(), takeUntilDestroyed()).subscribe((q) => {
      this.orgPage.set(0);
      this.orgQuery.set(q.trim());
    });
  }

  protected onUserPage(event: PageEvent): void {
    this.userPage.set(event.pageIndex);
  }

  async impersonate(user: AdminUser): Promise<void> {
    const data: ConfirmData = {
      title: 'Impersonate user',
      message: `Act as ${user.email} for up to an hour? Everything you do is recorded as done by you on their behalf.`,
      confirm: 'Impersonate',
    };
    const ok = (await firstValueFrom(this.dialog.open(ConfirmDialog, { data, width: '440px' }).afterClosed())) === true;
    if (!ok) return;
    this.busyId.set(user.id);
    try {
      await firstValueFrom(this.api.impersonate(user.id));
      await this.store.refresh();
      await this.router.navigateByUrl('/');
    } catch (err) {
      this.snackBar.open(toApiError(err).message, 'Dismiss', { duration: 6000 });
    } finally {
      this.busyId.set(null);
    }
  }
}
