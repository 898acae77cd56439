import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { rxResource } from '@angular/core/rxjs-interop';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { RouterLink } from '@angular/router';
import { firstValueFrom, map } from 'rxjs';
import { Api } from '../api/api.service';
import { toApiError } from '../api/api-error';
import type { Configuration, Repo } from '../api/types';
import { ErrorBanner } from '../shared/error-banner.component';
import { defaultWorkspacePath } from './configuration-labels';

export interface CreateConfigurationData {
  /** Repos to preselect. */
  repoIds?: string[];
  name?: string;
}

/** A folder such as `api` or `libs/web` (segments of letters, digits, `.`, `_`, `-`, not starting with a dot or dash). */
const FOLDER = (p: string) => p.split('/').every((s) => /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(s));

/** Names a configuration and picks its repos (each in a folder of its own when there are several). */
@Component({
  selector: 'app-create-configuration-dialog',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    FormsModule,
    RouterLink,
    MatButtonModule,
    MatCheckboxModule,
    MatDialogModule,
    MatFormFieldModule,
    MatInputModule,
    MatProgressBarModule,
    MatProgressSpinnerModule,
    ErrorBanner,
  ],
  template: `
    <h2 mat-dialog-title>New configuration</h2>
    <form (ngSubmit)="submit()" novalidate aria-label="New configuration">
      <mat-dialog-content>
        <app-error-banner [error]="error()" />
        <mat-form-field>
          <mat-label>Name</mat-label>
          <input matInput name="name" [(ngModel)]="name" required maxlength="200" cdkFocusInitial data-testid="configuration-name" />
          @if (submitted() && !name().trim()) {
            <mat-hint class="field-error">Required.</mat-hint>
          }
        </mat-form-field>

        <h3 class="repos-title">Repositories</h3>
        @if (repos.isLoading()) {
          <mat-progress-bar mode="indeterminate" aria-label="Loading repositories" />
        }
        <app-error-banner [error]="repos.error()" />
        @if (repoList().length) {
          <ul class="repo-list">
            @for (r of repoList(); track r.id) {
              <li>
                <mat-checkbox
                  [checked]="selected().has(r.id)"
                  (change)="toggle(r.id, $event.checked)"
                  data-testid="configuration-repo-option"
                  [attr.data-repo-id]="r.id"
                >
                  {{ r.name }} <span class="muted small mono">{{ r.url }}</span>
                </mat-checkbox>
                @if (selected().has(r.id) && selected().size > 1) {
                  <mat-form-field class="path">
                    <mat-label>Folder</mat-label>
                    <input
                      matInput
                      [name]="'path-' + r.id"
                      [ngModel]="pathOf(r)"
                      (ngModelChange)="setPath(r.id, $event)"
                      data-testid="configuration-workspace-path"
                    />
                  </mat-form-field>
                }
              </li>
            }
          </ul>
        } @else if (repos.hasValue()) {
          <p class="muted" data-testid="configuration-no-repos">
            There are no repositories yet. <a routerLink="/repos" mat-dialog-close>Add one first.</a>
          </p>
        }
        @if (submitted() && selected().size === 0) {
          <p class="field-error" role="alert">Pick at least one repository.</p>
        }
        @if (pathProblem(); as problem) {
          <p class="field-error" role="alert">{{ problem }}</p>
        }
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" mat-dialog-close>Cancel</button>
        <button mat-flat-button type="submit" [disabled]="busy()" data-testid="configuration-create-submit">
          @if (busy()) {
            <mat-progress-spinner mode="indeterminate" diameter="18" aria-label="Creating configuration" />
          }
          Create
        </button>
      </mat-dialog-actions>
    </form>
  `,
  styles: `
    .repos-title {
      margin: 8px 0 4px;
      font: var(--mat-sys-title-small);
    }
    .repo-list {
      list-style: none;
      margin: 0;
      padding: 0;
    }
    .path {
      width: 220px;
      margin-left: 40px;
    }
    .field-error {
      color: var(--mat-sys-error);
      font: var(--mat-sys-body-small);
    }
  `,
})
export class CreateConfigurationDialog {
  private readonly api = inject(Api);
  private readonly ref = inject<MatDialogRef<CreateConfigurationDialog, Configuration>>(MatDialogRef);
  private readonly data = inject<CreateConfigurationData | null>(MAT_DIALOG_DATA, { optional: true }) ?? {};

  protected readonly name = signal(this.data.name ?? '');
  protected readonly selected = signal(new Set<string>(this.data.repoIds ?? []));
  private readonly paths = signal<Record<string, string>>({});
  protected readonly busy = signal(false);
  protected readonly submitted = signal(false);
  protected readonly error = signal<string | null>(null);

  protected readonly repos = rxResource({ stream: () => this.api.listRepos({ limit: 100 }).pipe(map((r) => r.repos)) });
  protected readonly repoList = computed(() => (this.repos.hasValue() ? [...this.repos.value()].sort((a, b) => a.name.localeCompare(b.name)) : []));

  /** Folders must be plain names and distinct (one repo alone sits at the workspace root, "."). */
  protected readonly pathProblem = computed(() => {
    const chosen = this.chosen();
    if (chosen.length < 2) return null;
    const paths = chosen.map((c) => c.workspacePath);
    if (paths.some((p) => p === '.' || !FOLDER(p))) return 'Folders are names such as api or libs/web (letters, digits, dots, dashes, underscores).';
    if (new Set(paths).size !== paths.length) return 'Each repository needs a folder of its own.';
    return null;
  });

  private readonly chosen = computed(() => {
    const repos = this.repoList().filter((r) => this.selected().has(r.id));
    return repos.map((r) => ({ repoId: r.id, workspacePath: this.paths()[r.id] ?? defaultWorkspacePath(r.name, repos.length) }));
  });

  protected pathOf(repo: Repo): string {
    return this.chosen().find((c) => c.repoId === repo.id)?.workspacePath ?? '';
  }

  protected setPath(repoId: string, path: string): void {
    this.paths.update((p) => ({ ...p, [repoId]: path.trim() }));
  }

  protected toggle(repoId: string, on: boolean): void {
    this.selected.update((s) => {
      const next = new Set(s);
      if (on) next.add(repoId);
      else next.delete(repoId);
      return next;
    });
  }

  async submit(): Promise<void> {
    this.submitted.set(true);
    this.error.set(null);
    const name = this.name().trim();
    const chosen = this.chosen();
    if (!name || chosen.length === 0 || this.pathProblem()) return;
    this.busy.set(true);
    try {
      const repos = chosen.length === 1 ? [{ repoId: chosen[0].repoId }] : chosen;
      this.ref.close(await firstValueFrom(this.api.createConfiguration({ name, repos })));
    } catch (err) {
      const e = toApiError(err);
      this.error.set(e.fields.length ? e.fields.map((f) => `${f.field}: ${f.message}`).join(' ') : e.message);
    } finally {
      this.busy.set(false);
    }
  }
}
