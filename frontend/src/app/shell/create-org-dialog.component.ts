import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { firstValueFrom } from 'rxjs';
import { Api } from '../api/api.service';
import { toApiError } from '../api/api-error';
import type { Organization } from '../api/types';
import { SLUG_MESSAGE, SLUG_PATTERN } from '../shared/patterns';
import { ErrorBanner } from '../shared/error-banner.component';
import { applyServerErrors, controlError } from '../shared/server-errors';

/** Creates an organisation (which the server makes active) and closes with it. */
@Component({
  selector: 'app-create-org-dialog',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [ReactiveFormsModule, MatButtonModule, MatDialogModule, MatFormFieldModule, MatInputModule, MatProgressSpinnerModule, ErrorBanner],
  template: `
    <h2 mat-dialog-title>Create organisation</h2>
    <form [formGroup]="form" (ngSubmit)="submit()" novalidate aria-label="Create organisation">
      <mat-dialog-content>
        <app-error-banner [error]="error()" />
        <mat-form-field appearance="outline">
          <mat-label>Organisation name</mat-label>
          <input matInput formControlName="name" cdkFocusInitial data-testid="create-org-name" />
          <mat-error>{{ errorOf('name') }}</mat-error>
        </mat-form-field>
        <mat-form-field appearance="outline">
          <mat-label>Slug (optional)</mat-label>
          <input matInput formControlName="slug" data-testid="create-org-slug" />
          <mat-error>{{ errorOf('slug') }}</mat-error>
        </mat-form-field>
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" mat-dialog-close>Cancel</button>
        <button mat-flat-button type="submit" [disabled]="busy()" data-testid="create-org-submit">
          @if (busy()) {
            <mat-progress-spinner mode="indeterminate" diameter="18" aria-label="Creating" />
          }
          Create
        </button>
      </mat-dialog-actions>
    </form>
  `,
})
export class CreateOrgDialog {
  private readonly api = inject(Api);
  private readonly ref = inject<MatDialogRef<CreateOrgDialog, Organization>>(MatDialogRef);
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);

  protected readonly form = inject(FormBuilder).nonNullable.group({
    name: ['', [Validators.required, Validators.maxLength(80)]],
    slug: ['', [Validators.minLength(2), Validators.maxLength(48), Validators.pattern(SLUG_PATTERN)]],
  });

  protected errorOf(name: 'name' | 'slug'): string | null {
    return controlError(this.form.controls[name], { pattern: SLUG_MESSAGE });
  }

  async submit(): Promise<void> {
    this.error.set(null);
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const { name, slug } = this.form.getRawValue();
    this.busy.set(true);
    try {
      const org = await firstValueFrom(this.api.createOrg({ name: name.trim(), ...(slug.trim() ? { slug: slug.trim() } : {}) }));
      this.ref.close(org);
    } catch (err) {
      this.error.set(applyServerErrors(this.form, toApiError(err)));
    } finally {
      this.busy.set(false);
    }
  }
}
