import { Clipboard } from '@angular/cdk/clipboard';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { MatSelectModule } from '@angular/material/select';
import { firstValueFrom } from 'rxjs';
import { Api } from '../api/api.service';
import { toApiError } from '../api/api-error';
import type { ApiKey } from '../api/types';
import { ErrorBanner } from '../shared/error-banner.component';
import { Icon } from '../shared/icon.component';
import { applyServerErrors, controlError } from '../shared/server-errors';

export const EXPIRY_CHOICES: { label: string; days: number | null }[] = [
  { label: '30 days', days: 30 },
  { label: '90 days', days: 90 },
  { label: '1 year', days: 365 },
  { label: 'Never', days: null },
];

/**
 * Names and creates a key, then shows the secret once with a copy button. The secret lives only in this
 * dialog: it closes with the key's public fields, never the secret.
 */
@Component({
  selector: 'app-create-api-key-dialog',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    ReactiveFormsModule,
    MatButtonModule,
    MatDialogModule,
    MatFormFieldModule,
    MatInputModule,
    MatProgressSpinnerModule,
    MatSelectModule,
    ErrorBanner,
    Icon,
  ],
  template: `
    @if (secret(); as key) {
      <h2 mat-dialog-title>Copy your API key</h2>
      <mat-dialog-content>
        <div class="banner banner-warn" role="alert">
          <app-icon name="warning" />
          <span class="banner-text">This is the only time the key is shown. Store it somewhere safe now.</span>
        </div>
        <div class="secret-row">
          <code class="secret" data-testid="api-key-secret" aria-label="New API key">{{ key }}</code>
          <button mat-stroked-button type="button" (click)="copy(key)" data-testid="api-key-copy">
            <app-icon [name]="copied() ? 'check' : 'copy'" [size]="18" />
            {{ copied() ? 'Copied' : 'Copy' }}
          </button>
        </div>
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-flat-button type="button" (click)="done()" data-testid="api-key-done">Done</button>
      </mat-dialog-actions>
    } @else {
      <h2 mat-dialog-title>Create API key</h2>
      <form [formGroup]="form" (ngSubmit)="submit()" novalidate aria-label="Create API key">
        <mat-dialog-content>
          <p class="muted">The key acts as you in this organisation. Use it with the CLI or in scripts.</p>
          <app-error-banner [error]="error()" />
          <mat-form-field appearance="outline">
            <mat-label>Key name</mat-label>
            <input matInput formControlName="name" cdkFocusInitial data-testid="api-key-name" />
            <mat-hint>For example "laptop CLI" or "CI".</mat-hint>
            <mat-error>{{ errorOf('name') }}</mat-error>
          </mat-form-field>
          <mat-form-field appearance="outline">
            <mat-label>Expires after</mat-label>
            <mat-select formControlName="expiresInDays" data-testid="api-key-expiry">
              @for (choice of expiryChoices; track choice.label) {
                <mat-option [value]="choice.days">{{ choice.label }}</mat-option>
              }
            </mat-select>
          </mat-form-field>
        </mat-dialog-content>
        <mat-dialog-actions align="end">
          <button mat-button type="button" mat-dialog-close>Cancel</button>
          <button mat-flat-button type="submit" [disabled]="busy()" data-testid="api-key-submit">
            @if (busy()) {
              <mat-progress-spinner mode="indeterminate" diameter="18" aria-label="Creating key" />
            }
            Create key
          </button>
        </mat-dialog-actions>
      </form>
    }
  `,
  styles: `
    .secret-row {
      display: flex;
      gap: 12px;
      align-items: center;
      margin-top: 16px;
    }
    .secret {
      flex: 1;
      padding: 10px 12px;
      border-radius: 8px;
      background: var(--mat-sys-surface-container-high);
      font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
      overflow-wrap: anywhere;
      user-select: all;
    }
  `,
})
export class CreateApiKeyDialog {
  private readonly api = inject(Api);
  private readonly clipboard = inject(Clipboard);
  private readonly ref = inject<MatDialogRef<CreateApiKeyDialog, ApiKey>>(MatDialogRef);

  protected readonly expiryChoices = EXPIRY_CHOICES;
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly secret = signal<string | null>(null);
  protected readonly copied = signal(false);
  private created: ApiKey | null = null;

  protected readonly form = inject(FormBuilder).group({
    name: ['', [Validators.required, Validators.maxLength(64)]],
    expiresInDays: [90 as number | null],
  });

  protected errorOf(name: 'name'): string | null {
    return controlError(this.form.controls[name]);
  }

  async submit(): Promise<void> {
    this.error.set(null);
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const name = (this.form.controls.name.value ?? '').trim();
    const days = this.form.controls.expiresInDays.value;
    this.busy.set(true);
    try {
      const { key, ...publicFields } = await firstValueFrom(this.api.createApiKey({ name, ...(days ? { expiresInDays: days } : {}) }));
      this.created = publicFields;
      this.secret.set(key);
      // Once the secret is on screen, a stray click outside must not throw it away.
      this.ref.disableClose = true;
    } catch (err) {
      this.error.set(applyServerErrors(this.form, toApiError(err)));
    } finally {
      this.busy.set(false);
    }
  }

  protected copy(key: string): void {
    this.copied.set(this.clipboard.copy(key));
  }

  protected done(): void {
    this.secret.set(null);
    this.ref.close(this.created ?? undefined);
  }
}
