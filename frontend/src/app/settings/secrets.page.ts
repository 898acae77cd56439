import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal, viewChild } from '@angular/core';
import { rxResource } from '@angular/core/rxjs-interop';
import { FormBuilder, FormGroupDirective, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MatCardModule } from '@angular/material/card';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { MatSelectModule } from '@angular/material/select';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTableModule } from '@angular/material/table';
import { firstValueFrom } from 'rxjs';
import { Api } from '../api/api.service';
import { toApiError } from '../api/api-error';
import type { ImportSecretsReply, Secret, SecretScope, SecretScopeInput } from '../api/types';
import { SessionStore } from '../core/session.store';
import { ConfirmDialog, type ConfirmData } from '../shared/confirm-dialog.component';
import { EmptyState } from '../shared/empty-state.component';
import { ErrorBanner } from '../shared/error-banner.component';
import { applyServerErrors, controlError } from '../shared/server-errors';

/** An environment variable name, as the server checks it. */
export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LIST_SIZE = 200;

/**
 * The organisation's secrets: env values sessions get in their env files, for the whole organisation, one repo or one
 * configuration. Owners and admins add them one by one or paste a `.env` file, and delete them; everyone sees the keys.
 * A value is never shown again once saved.
 */
@Component({
  selector: 'app-secrets-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    DatePipe,
    ReactiveFormsModule,
    MatButtonModule,
    MatButtonToggleModule,
    MatCardModule,
    MatFormFieldModule,
    MatInputModule,
    MatProgressBarModule,
    MatProgressSpinnerModule,
    MatSelectModule,
    MatTableModule,
    EmptyState,
    ErrorBanner,
  ],
  template: `
    <div class="page">
      <header class="page-header">
        <div>
          <h1 data-testid="page-heading">Secrets</h1>
          <p class="muted">
            Values the sessions of {{ store.activeOrg()?.name }} get in their env files. The most specific one wins: a configuration's over a
            repo's over the organisation's. Once saved, a value is never shown again.
          </p>
        </div>
      </header>

      @if (store.canManage()) {
        <mat-card appearance="outlined" class="section-card">
          <mat-card-header><mat-card-title><h2>Add secrets</h2></mat-card-title></mat-card-header>
          <mat-card-content>
            <form [formGroup]="scope" class="scope-row" aria-label="Where the secrets apply">
              <mat-form-field class="scope-kind">
                <mat-label>Applies to</mat-label>
                <mat-select formControlName="kind" data-testid="secret-scope">
                  <mat-option value="organization">The whole organisation</mat-option>
                  <mat-option value="repo">One repo</mat-option>
                  <mat-option value="configuration">One configuration</mat-option>
                </mat-select>
              </mat-form-field>
              @if (scope.controls.kind.value === 'repo') {
                <mat-form-field class="scope-target">
                  <mat-label>Repo</mat-label>
                  <mat-select formControlName="repoId" data-testid="secret-scope-repo">
                    @for (r of repoOptions(); track r.id) {
                      <mat-option [value]="r.id">{{ r.name }}</mat-option>
                    }
                  </mat-select>
                  <mat-error>Choose a repo.</mat-error>
                </mat-form-field>
              } @else if (scope.controls.kind.value === 'configuration') {
                <mat-form-field class="scope-target">
                  <mat-label>Configuration</mat-label>
                  <mat-select formControlName="configurationId" data-testid="secret-scope-configuration">
                    @for (c of configurationOptions(); track c.id) {
                      <mat-option [value]="c.id">{{ c.name }}</mat-option>
                    }
                  </mat-select>
                  <mat-error>Choose a configuration.</mat-error>
                </mat-form-field>
              }
              <mat-button-toggle-group [value]="mode()" (change)="mode.set($event.value)" aria-label="How to add" data-testid="secret-mode">
                <mat-button-toggle value="one" data-testid="secret-mode-one">One secret</mat-button-toggle>
                <mat-button-toggle value="paste" data-testid="secret-mode-paste">Paste a .env file</mat-button-toggle>
              </mat-button-toggle-group>
            </form>

            @if (mode() === 'one') {
              <app-error-banner [error]="addError()" />
              <form #addForm [formGroup]="form" (ngSubmit)="add()" novalidate class="add-form" aria-label="Add a secret" data-testid="secret-add-form">
                <mat-form-field class="key">
                  <mat-label>Key</mat-label>
                  <input matInput formControlName="key" autocomplete="off" spellcheck="false" placeholder="STRIPE_SECRET_KEY" class="mono" data-testid="secret-key" />
                  <mat-error data-testid="secret-key-error">{{ keyError() }}</mat-error>
                </mat-form-field>
                <mat-form-field class="value">
                  <mat-label>Value</mat-label>
                  <input matInput type="password" formControlName="value" autocomplete="new-password" spellcheck="false" data-testid="secret-value" />
                  <mat-error>{{ valueError() }}</mat-error>
                </mat-form-field>
                <mat-form-field class="description">
                  <mat-label>Description (optional)</mat-label>
                  <input matInput formControlName="description" data-testid="secret-description" />
                  <mat-error>{{ descriptionError() }}</mat-error>
                </mat-form-field>
                <button mat-flat-button type="submit" class="submit" [disabled]="busy()" data-testid="secret-add">
                  @if (busy()) {
                    <mat-progress-spinner mode="indeterminate" diameter="18" aria-label="Saving" />
                  }
                  Add secret
                </button>
              </form>
            } @else {
              <app-error-banner [error]="importError()" />
              @if (importProblems().length) {
                <ul class="problems" data-testid="secret-import-problems" aria-label="Lines to fix">
                  @for (p of importProblems(); track $index) {
                    <li>{{ p }}</li>
                  }
                </ul>
              }
              @if (imported(); as r) {
                <p class="banner banner-info" role="status" data-testid="secret-import-result">
                  {{ importSummary(r) }}
                </p>
              }
              <form [formGroup]="paste" (ngSubmit)="importText()" novalidate class="paste-form" aria-label="Paste a .env file" data-testid="secret-import-form">
                <mat-form-field class="env-text">
                  <mat-label>.env text</mat-label>
                  <textarea
                    matInput
                    formControlName="envText"
                    rows="8"
                    spellcheck="false"
                    autocomplete="off"
                    class="mono"
                    placeholder="# KEY=value per line&#10;DATABASE_URL=postgres://…&#10;export STRIPE_KEY=&quot;sk_test_…&quot;"
                    data-testid="secret-import-text"
                  ></textarea>
                  <mat-hint>Keys that already have a value here are skipped, not overwritten.</mat-hint>
                  <mat-error>{{ pasteError() }}</mat-error>
                </mat-form-field>
                <button mat-flat-button type="submit" [disabled]="busy()" data-testid="secret-import">
                  @if (busy()) {
                    <mat-progress-spinner mode="indeterminate" diameter="18" aria-label="Importing" />
                  }
                  Import
                </button>
              </form>
            }
          </mat-card-content>
        </mat-card>
      } @else {
        <p class="banner banner-info" role="note" data-testid="secrets-read-only">Only owners and admins can add or delete secrets.</p>
      }

      <section class="section-card surface" aria-labelledby="secrets-title">
        <div class="table-title"><h2 id="secrets-title">Secrets</h2></div>
        @if (secrets.isLoading()) {
          <mat-progress-bar mode="indeterminate" aria-label="Loading secrets" />
        }
        <app-error-banner [error]="secrets.error()" retryLabel="Retry" (retry)="secrets.reload()" />
        @if (rows().length > 0) {
          <div class="table-scroll">
            <table mat-table [dataSource]="rows()" data-testid="secrets-table" aria-label="Secrets">
              <ng-container matColumnDef="key">
                <th mat-header-cell *matHeaderCellDef>Key</th>
                <td mat-cell *matCellDef="let s" class="mono"><strong>{{ s.key }}</strong></td>
              </ng-container>
              <ng-container matColumnDef="scope">
                <th mat-header-cell *matHeaderCellDef>Applies to</th>
                <td mat-cell *matCellDef="let s" data-testid="secret-scope-cell">{{ scopeLabel(s) }}</td>
              </ng-container>
              <ng-container matColumnDef="description">
                <th mat-header-cell *matHeaderCellDef>Description</th>
                <td mat-cell *matCellDef="let s" class="muted">{{ s.description }}</td>
              </ng-container>
              <ng-container matColumnDef="added">
                <th mat-header-cell *matHeaderCellDef>Added</th>
                <td mat-cell *matCellDef="let s">{{ s.createdAt | date: 'mediumDate' }}@if (s.createdBy) { · {{ s.createdBy.name }}}</td>
              </ng-container>
              <ng-container matColumnDef="actions">
                <th mat-header-cell *matHeaderCellDef><span class="cdk-visually-hidden">Actions</span></th>
                <td mat-cell *matCellDef="let s" class="actions-cell">
                  @if (store.canManage()) {
                    <button
                      mat-button
                      type="button"
                      class="danger-text"
                      (click)="remove(s)"
                      [disabled]="busyId() === s.id"
                      [attr.aria-label]="'Delete ' + s.key"
                      data-testid="secret-delete"
                    >
                      Delete
                    </button>
                  }
                </td>
              </ng-container>
              <tr mat-header-row *matHeaderRowDef="columns"></tr>
              <tr mat-row *matRowDef="let s; columns: columns" data-testid="secret-row" [attr.data-key]="s.key" [attr.data-scope]="s.scope"></tr>
            </table>
          </div>
        } @else if (secrets.hasValue()) {
          <app-empty-state title="No secrets yet" icon="lock">Add the API keys and passwords your projects need; sessions get them in their env files.</app-empty-state>
        }
      </section>
    </div>
  `,
  styles: `
    .scope-row,
    .add-form,
    .paste-form {
      display: flex;
      flex-wrap: wrap;
      gap: 0 12px;
      align-items: flex-start;
    }
    .scope-row {
      /* Room for the first field's floating label under the card title. */
      margin-top: 12px;
    }
    .scope-row mat-button-toggle-group {
      margin-top: 4px;
    }
    .scope-kind,
    .scope-target {
      flex: 0 1 240px;
    }
    .key {
      flex: 1 1 220px;
    }
    .value {
      flex: 2 1 280px;
    }
    .description {
      flex: 2 1 240px;
    }
    .submit {
      margin-top: 10px;
    }
    .env-text {
      flex: 1 1 100%;
    }
    .problems {
      margin: 0 0 12px;
      color: var(--mat-sys-error);
    }
  `,
})
export class SecretsPage {
  private readonly api = inject(Api);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  protected readonly store = inject(SessionStore);
  private readonly addForm = viewChild('addForm', { read: FormGroupDirective });
  private readonly fb = inject(FormBuilder).nonNullable;

  protected readonly columns = ['key', 'scope', 'description', 'added', 'actions'];
  protected readonly mode = signal<'one' | 'paste'>('one');
  protected readonly busy = signal(false);
  protected readonly busyId = signal<string | null>(null);
  protected readonly addError = signal<string | null>(null);
  protected readonly importError = signal<string | null>(null);
  protected readonly importProblems = signal<string[]>([]);
  protected readonly imported = signal<ImportSecretsReply | null>(null);

  protected readonly secrets = rxResource({ params: () => this.store.activeOrgId() ?? undefined, stream: () => this.api.listSecrets({ limit: LIST_SIZE }) });
  protected readonly rows = computed<Secret[]>(() => (this.secrets.hasValue() ? this.secrets.value().secrets : []));
  // Names for the scopes of the list, and the choices of the scope selector.
  private readonly repos = rxResource({ params: () => this.store.activeOrgId() ?? undefined, stream: () => this.api.listRepos({ limit: 100 }) });
  private readonly configurations = rxResource({ params: () => this.store.activeOrgId() ?? undefined, stream: () => this.api.listConfigurations({ limit: 100 }) });
  protected readonly repoOptions = computed(() => (this.repos.hasValue() ? this.repos.value().repos : []));
  protected readonly configurationOptions = computed(() => (this.configurations.hasValue() ? this.configurations.value().configurations : []));

  protected readonly scope = this.fb.group({
    kind: ['organization' as SecretScope],
    repoId: [''],
    configurationId: [''],
  });
  protected readonly form = this.fb.group({
    key: ['', [Validators.required, Validators.maxLength(200), Validators.pattern(ENV_KEY)]],
    value: ['', [Validators.maxLength(32 * 1024)]],
    description: ['', [Validators.maxLength(500)]],
  });
  protected readonly paste = this.fb.group({ envText: ['', [Validators.required, Validators.maxLength(256 * 1024)]] });

  protected keyError(): string | null {
    return controlError(this.form.controls.key, { pattern: 'Letters, digits and _, not starting with a digit (e.g. API_TOKEN).' });
  }
  protected valueError(): string | null {
    return controlError(this.form.controls.value);
  }
  protected descriptionError(): string | null {
    return controlError(this.form.controls.description);
  }
  protected pasteError(): string | null {
    return controlError(this.paste.controls.envText);
  }

  protected scopeLabel(s: Secret): string {
    if (s.scope === 'repo') return `Repo ${this.repoOptions().find((r) => r.id === s.repoId)?.name ?? s.repoId}`;
    if (s.scope === 'configuration') return `Configuration ${this.configurationOptions().find((c) => c.id === s.configurationId)?.name ?? s.configurationId}`;
    return 'Organisation';
  }

  protected importSummary(r: ImportSecretsReply): string {
    const added = r.created.length ? `Added ${r.created.join(', ')}.` : 'Nothing new to add.';
    return r.skipped.length ? `${added} Skipped (already set): ${r.skipped.join(', ')}.` : added;
  }

  /** The chosen scope, or null (with the selector marked) when a repo or configuration is still to be chosen. */
  private chosenScope(): SecretScopeInput | null {
    const { kind, repoId, configurationId } = this.scope.getRawValue();
    const missing = kind === 'repo' ? (!repoId && 'repoId') : kind === 'configuration' ? (!configurationId && 'configurationId') : false;
    if (missing) {
      const control = this.scope.controls[missing];
      control.setErrors({ required: true });
      control.markAsTouched();
      return null;
    }
    return kind === 'repo' ? { repoId } : kind === 'configuration' ? { configurationId } : {};
  }

  async add(): Promise<void> {
    this.addError.set(null);
    const scope = this.chosenScope();
    if (this.form.invalid || !scope) {
      this.form.markAllAsTouched();
      return;
    }
    const { key, value, description } = this.form.getRawValue();
    this.busy.set(true);
    try {
      const created = await firstValueFrom(this.api.createSecret({ key, value, ...(description.trim() ? { description: description.trim() } : {}), ...scope }));
      // The value leaves the form at once: nothing keeps it once it is saved.
      this.addForm()?.resetForm({ key: '', value: '', description: '' });
      this.snackBar.open(`Added ${created.key}`, undefined, { duration: 3000 });
      this.secrets.reload();
    } catch (err) {
      this.addError.set(applyServerErrors(this.form, toApiError(err)));
    } finally {
      this.busy.set(false);
    }
  }

  async importText(): Promise<void> {
    this.importError.set(null);
    this.importProblems.set([]);
    this.imported.set(null);
    const scope = this.chosenScope();
    if (this.paste.invalid || !scope) {
      this.paste.markAllAsTouched();
      return;
    }
    this.busy.set(true);
    try {
      const reply = await firstValueFrom(this.api.importSecrets({ envText: this.paste.getRawValue().envText, ...scope }));
      this.paste.reset({ envText: '' });
      this.imported.set(reply);
      this.secrets.reload();
    } catch (err) {
      const error = toApiError(err);
      const lines = error.fields.filter((f) => f.field === 'envText').map((f) => f.message);
      // Line problems are listed one by one; anything else is a banner.
      this.importProblems.set(lines);
      this.importError.set(error.message);
    } finally {
      this.busy.set(false);
    }
  }

  async remove(secret: Secret): Promise<void> {
    const data: ConfirmData = {
      title: 'Delete secret',
      message: `Delete ${secret.key} (${this.scopeLabel(secret).toLowerCase()})? New sessions no longer get it; running ones keep what they have.`,
      confirm: 'Delete',
      danger: true,
    };
    const ok = (await firstValueFrom(this.dialog.open(ConfirmDialog, { data, width: '440px' }).afterClosed())) === true;
    if (!ok) return;
    this.busyId.set(secret.id);
    try {
      await firstValueFrom(this.api.deleteSecret(secret.id));
      this.snackBar.open(`Deleted ${secret.key}`, undefined, { duration: 3000 });
      this.secrets.reload();
    } catch (err) {
      this.snackBar.open(toApiError(err).message, 'Dismiss', { duration: 6000 });
    } finally {
      this.busyId.set(null);
    }
  }
}
