import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal, viewChild } from '@angular/core';
import { rxResource, takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { FormBuilder, FormGroupDirective, ReactiveFormsModule, Validators, type AbstractControl, type ValidationErrors } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MatCardModule } from '@angular/material/card';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTableModule } from '@angular/material/table';
import { Router } from '@angular/router';
import { firstValueFrom } from 'rxjs';
import { Api } from '../api/api.service';
import { toApiError } from '../api/api-error';
import type { Repo, RepoSource } from '../api/types';
import { SessionStore } from '../core/session.store';
import { CreateConfigurationDialog, type CreateConfigurationData } from '../configurations/create-configuration-dialog.component';
import { ConfirmDialog, type ConfirmData } from '../shared/confirm-dialog.component';
import { EmptyState } from '../shared/empty-state.component';
import { ErrorBanner } from '../shared/error-banner.component';
import { applyServerErrors, controlError } from '../shared/server-errors';

const PAGE_SIZE = 100;
const SEARCH_DELAY_MS = 250;

/** An https, ssh or scp-style (`git@host:owner/repo`) clone address. */
const GIT_URL = /^(https?:\/\/|ssh:\/\/|git:\/\/|file:\/\/)\S+$|^[\w.-]+@[\w.-]+:\S+$/;
/** An absolute path on the machine that runs Proliferate. */
const LOCAL_PATH = /^(\/|~\/?|[A-Za-z]:[\\/])/;

/** The location must fit the chosen source (the sibling `source` control). */
function locationFormat(control: AbstractControl): ValidationErrors | null {
  const value = String(control.value ?? '').trim();
  if (!value) return null;
  const source = control.parent?.get('source')?.value as RepoSource | undefined;
  return (source === 'local' ? LOCAL_PATH : GIT_URL).test(value) ? null : { format: true };
}

/** The organisation's repositories: add one by clone URL or local path, find, delete, and configure. */
@Component({
  selector: 'app-repos-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    DatePipe,
    ReactiveFormsModule,
    MatButtonModule,
    MatButtonToggleModule,
    MatCardModule,
    MatCheckboxModule,
    MatFormFieldModule,
    MatInputModule,
    MatProgressBarModule,
    MatProgressSpinnerModule,
    MatTableModule,
    EmptyState,
    ErrorBanner,
  ],
  template: `
    <div class="page">
      <header class="page-header">
        <div>
          <h1 data-testid="page-heading">Repos</h1>
          <p class="muted">Repositories that sandboxes of {{ store.activeOrg()?.name }} check out.</p>
        </div>
      </header>

      <mat-card appearance="outlined" class="section-card">
        <mat-card-header><mat-card-title><h2>Add a repository</h2></mat-card-title></mat-card-header>
        <mat-card-content>
          <app-error-banner [error]="addError()" />
          <form [formGroup]="form" (ngSubmit)="add()" novalidate class="add-form" aria-label="Add a repository" data-testid="repo-add-form">
            <mat-button-toggle-group formControlName="source" aria-label="Where the repository is" data-testid="repo-source">
              <mat-button-toggle value="git" data-testid="repo-source-git">Git URL</mat-button-toggle>
              <mat-button-toggle value="local" data-testid="repo-source-local">Local path</mat-button-toggle>
            </mat-button-toggle-group>
            <mat-form-field class="location">
              <mat-label>{{ form.controls.source.value === 'git' ? 'Clone URL' : 'Path on this machine' }}</mat-label>
              <input
                matInput
                formControlName="location"
                autocomplete="off"
                spellcheck="false"
                [placeholder]="form.controls.source.value === 'git' ? 'https://github.com/acme/app.git' : '/home/me/src/app'"
                data-testid="repo-location"
              />
              <mat-error data-testid="repo-location-error">{{ locationError() }}</mat-error>
            </mat-form-field>
            <mat-form-field class="name">
              <mat-label>Name (optional)</mat-label>
              <input matInput formControlName="name" data-testid="repo-name" />
              <mat-error>{{ nameError() }}</mat-error>
            </mat-form-field>
            <mat-checkbox formControlName="createConfiguration" class="also-configure" data-testid="repo-create-configuration">
              Also create a configuration for it
            </mat-checkbox>
            <button mat-flat-button type="submit" class="add-button" [disabled]="adding()" data-testid="repo-add">
              @if (adding()) {
                <mat-progress-spinner mode="indeterminate" diameter="18" aria-label="Adding repository" />
              }
              Add repository
            </button>
          </form>
        </mat-card-content>
      </mat-card>

      <section class="section-card surface" aria-labelledby="repos-title">
        <div class="table-title list-head">
          <h2 id="repos-title">Repositories</h2>
          <span class="spacer"></span>
          <mat-form-field class="search" subscriptSizing="dynamic">
            <mat-label>Search</mat-label>
            <input matInput [value]="query()" (input)="search($any($event.target).value)" data-testid="repos-search" />
          </mat-form-field>
        </div>
        @if (repos.hasValue() && repos.value().total > rows().length) {
          <p class="muted small more-hint" data-testid="repos-more">Showing {{ rows().length }} of {{ repos.value().total }}. Search to find the others.</p>
        }
        @if (repos.isLoading()) {
          <mat-progress-bar mode="indeterminate" aria-label="Loading repositories" />
        }
        <app-error-banner [error]="repos.error()" retryLabel="Retry" (retry)="repos.reload()" />
        @if (rows().length > 0) {
          <div class="table-scroll">
            <table mat-table [dataSource]="rows()" data-testid="repos-table" aria-label="Repositories">
              <ng-container matColumnDef="name">
                <th mat-header-cell *matHeaderCellDef>Name</th>
                <td mat-cell *matCellDef="let r"><strong>{{ r.name }}</strong></td>
              </ng-container>
              <ng-container matColumnDef="source">
                <th mat-header-cell *matHeaderCellDef>Source</th>
                <td mat-cell *matCellDef="let r"><span class="status-chip">{{ r.source === 'git' ? 'git' : 'local' }}</span></td>
              </ng-container>
              <ng-container matColumnDef="url">
                <th mat-header-cell *matHeaderCellDef>Location</th>
                <td mat-cell *matCellDef="let r" class="mono location-cell">{{ r.url }}</td>
              </ng-container>
              <ng-container matColumnDef="branch">
                <th mat-header-cell *matHeaderCellDef>Default branch</th>
                <td mat-cell *matCellDef="let r" class="mono">{{ r.defaultBranch }}</td>
              </ng-container>
              <ng-container matColumnDef="added">
                <th mat-header-cell *matHeaderCellDef>Added</th>
                <td mat-cell *matCellDef="let r">{{ r.createdAt | date: 'mediumDate' }}</td>
              </ng-container>
              <ng-container matColumnDef="actions">
                <th mat-header-cell *matHeaderCellDef><span class="cdk-visually-hidden">Actions</span></th>
                <td mat-cell *matCellDef="let r" class="actions-cell">
                  <button mat-button type="button" (click)="configure(r)" [attr.aria-label]="'New configuration with ' + r.name" data-testid="repo-configure">
                    Configure
                  </button>
                  <button
                    mat-button
                    type="button"
                    class="danger-text"
                    (click)="remove(r)"
                    [disabled]="busyId() === r.id"
                    [attr.aria-label]="'Delete ' + r.name"
                    data-testid="repo-delete"
                  >
                    Delete
                  </button>
                </td>
              </ng-container>
              <tr mat-header-row *matHeaderRowDef="columns"></tr>
              <tr mat-row *matRowDef="let r; columns: columns" data-testid="repo-row" [attr.data-name]="r.name" [attr.data-repo-id]="r.id"></tr>
            </table>
          </div>
        } @else if (repos.hasValue()) {
          @if (searched()) {
            <app-empty-state title="No repository matches" icon="search" />
          } @else {
            <app-empty-state title="No repositories yet" icon="repo">Add one above by its clone URL, or by a path on this machine.</app-empty-state>
          }
        }
      </section>
    </div>
  `,
  styles: `
    .add-form {
      display: flex;
      flex-wrap: wrap;
      gap: 0 12px;
      align-items: flex-start;
    }
    .add-form mat-button-toggle-group {
      margin-top: 4px;
    }
    .location {
      flex: 2 1 320px;
    }
    .name {
      flex: 1 1 180px;
    }
    .add-button {
      margin-top: 10px;
    }
    .list-head {
      align-items: center;
      gap: 12px;
      flex-wrap: wrap;
    }
    .search {
      width: 260px;
    }
    .also-configure {
      margin-top: 12px;
    }
    .more-hint {
      padding: 0 16px;
    }
    .location-cell {
      max-width: 420px;
      overflow-wrap: anywhere;
    }
  `,
})
export class ReposPage {
  private readonly api = inject(Api);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly router = inject(Router);
  protected readonly store = inject(SessionStore);
  private readonly formDirective = viewChild.required(FormGroupDirective);

  protected readonly columns = ['name', 'source', 'url', 'branch', 'added', 'actions'];
  /** What the search box shows; `searched` follows it after a pause, and the server filters by it. */
  protected readonly query = signal('');
  protected readonly searched = signal('');
  private searchTimer: ReturnType<typeof setTimeout> | null = null;
  protected readonly adding = signal(false);
  protected readonly addError = signal<string | null>(null);
  protected readonly busyId = signal<string | null>(null);

  protected readonly repos = rxResource({
    params: () => ({ org: this.store.activeOrgId(), q: this.searched() }),
    stream: ({ params }) => this.api.listRepos({ q: params.q, limit: PAGE_SIZE }),
  });
  protected readonly rows = computed<Repo[]>(() => (this.repos.hasValue() ? this.repos.value().repos : []));

  protected readonly form = inject(FormBuilder).nonNullable.group({
    source: ['git' as RepoSource],
    location: ['', [Validators.required, Validators.maxLength(2000), locationFormat]],
    name: ['', [Validators.maxLength(200)]],
    createConfiguration: [true],
  });

  constructor() {
    this.form.controls.source.valueChanges.pipe(takeUntilDestroyed()).subscribe(() => this.form.controls.location.updateValueAndValidity());
  }

  protected locationError(): string | null {
    const git = this.form.controls.source.value === 'git';
    return controlError(this.form.controls.location, {
      format: git ? 'Enter a clone URL (https://…, ssh://… or git@host:owner/repo).' : 'Enter an absolute path (/home/me/src/app).',
    });
  }

  protected nameError(): string | null {
    return controlError(this.form.controls.name);
  }

  async add(): Promise<void> {
    this.addError.set(null);
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const { source, location, name, createConfiguration } = this.form.getRawValue();
    const body = {
      ...(source === 'git' ? { url: location.trim() } : { path: location.trim() }),
      ...(name.trim() ? { name: name.trim() } : {}),
      createConfiguration,
    };
    this.adding.set(true);
    try {
      const { repo, created, configuration } = await firstValueFrom(this.api.addRepo(body));
      this.formDirective().resetForm({ source, location: '', name: '', createConfiguration });
      const message = !created
        ? `${repo.name} was already here`
        : configuration
          ? `Added ${repo.name}; its configuration is building a snapshot`
          : `Added ${repo.name}`;
      const ref = this.snackBar.open(message, configuration ? 'Open configuration' : undefined, { duration: 6000 });
      if (configuration) ref.onAction().subscribe(() => void this.router.navigate(['/configurations', configuration.id]));
      this.repos.reload();
    } catch (err) {
      this.addError.set(applyServerErrors(this.form, toApiError(err), { url: 'location', path: 'location' }));
    } finally {
      this.adding.set(false);
    }
  }

  protected search(value: string): void {
    this.query.set(value);
    if (this.searchTimer) clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => this.searched.set(value.trim()), SEARCH_DELAY_MS);
  }

  async configure(repo: Repo): Promise<void> {
    const data: CreateConfigurationData = { repoIds: [repo.id], name: repo.name };
    const created = await firstValueFrom(this.dialog.open(CreateConfigurationDialog, { data, width: '560px' }).afterClosed());
    if (created) await this.router.navigate(['/configurations', created.id]);
  }

  async remove(repo: Repo): Promise<void> {
    const data: ConfirmData = {
      title: 'Delete repository',
      message: `Delete ${repo.name}? Configurations lose it, and new sessions no longer check it out.`,
      confirm: 'Delete',
      danger: true,
    };
    if ((await firstValueFrom(this.dialog.open(ConfirmDialog, { data, width: '420px' }).afterClosed())) !== true) return;
    this.busyId.set(repo.id);
    try {
      await firstValueFrom(this.api.deleteRepo(repo.id));
      this.snackBar.open(`Deleted ${repo.name}`, undefined, { duration: 3000 });
      this.repos.reload();
    } catch (err) {
      this.snackBar.open(toApiError(err).message, 'Dismiss', { duration: 6000 });
    } finally {
      this.busyId.set(null);
    }
  }
}
