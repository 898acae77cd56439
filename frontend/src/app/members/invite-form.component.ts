import { ChangeDetectionStrategy, Component, inject, output, signal, viewChild } from '@angular/core';
import { FormBuilder, FormGroupDirective, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { MatSelectModule } from '@angular/material/select';
import { firstValueFrom } from 'rxjs';
import { Api } from '../api/api.service';
import { toApiError } from '../api/api-error';
import type { InvitableRole, Invitation } from '../api/types';
import { ErrorBanner } from '../shared/error-banner.component';
import { applyServerErrors, controlError } from '../shared/server-errors';

/** Invites someone by email; emits the invitation once the server has it. */
@Component({
  selector: 'app-invite-form',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [ReactiveFormsModule, MatButtonModule, MatFormFieldModule, MatInputModule, MatProgressSpinnerModule, MatSelectModule, ErrorBanner],
  template: `
    <app-error-banner [error]="error()" />
    <form [formGroup]="form" (ngSubmit)="submit()" novalidate class="invite-form" data-testid="invite-form" aria-label="Invite a member">
      <mat-form-field appearance="outline" class="invite-email">
        <mat-label>Email address</mat-label>
        <input matInput type="email" formControlName="email" autocomplete="off" data-testid="invite-email" />
        <mat-error data-testid="invite-email-error">{{ errorOf('email') }}</mat-error>
      </mat-form-field>
      <mat-form-field appearance="outline" class="invite-role">
        <mat-label>Role</mat-label>
        <mat-select formControlName="role" data-testid="invite-role">
          <mat-option value="member">Member</mat-option>
          <mat-option value="admin">Admin</mat-option>
        </mat-select>
        <mat-error>{{ errorOf('role') }}</mat-error>
      </mat-form-field>
      <button mat-flat-button type="submit" class="invite-submit" [disabled]="busy()" data-testid="invite-submit">
        @if (busy()) {
          <mat-progress-spinner mode="indeterminate" diameter="18" aria-label="Sending invitation" />
        }
        Send invitation
      </button>
    </form>
  `,
  styles: `
    .invite-form {
      display: flex;
      flex-wrap: wrap;
      gap: 0 12px;
      align-items: flex-start;
    }
    .invite-email {
      flex: 1 1 260px;
    }
    .invite-role {
      flex: 0 1 160px;
    }
    .invite-submit {
      margin-top: 10px;
    }
  `,
})
export class InviteForm {
  private readonly api = inject(Api);
  readonly invited = output<Invitation>();
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  /** Resetting through the directive also clears its "submitted" state, so the emptied field shows no error. */
  private readonly formDirective = viewChild.required(FormGroupDirective);

  protected readonly form = inject(FormBuilder).nonNullable.group({
    email: ['', [Validators.required, Validators.email, Validators.maxLength(254)]],
    role: ['member' as InvitableRole, [Validators.required]],
  });

  protected errorOf(name: 'email' | 'role'): string | null {
    return controlError(this.form.controls[name]);
  }

  async submit(): Promise<void> {
    this.error.set(null);
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const { email, role } = this.form.getRawValue();
    this.busy.set(true);
    try {
      const invitation = await firstValueFrom(this.api.invite({ email: email.trim().toLowerCase(), role }));
      this.formDirective().resetForm({ email: '', role });
      this.invited.emit(invitation);
    } catch (err) {
      this.error.set(applyServerErrors(this.form, toApiError(err)));
    } finally {
      this.busy.set(false);
    }
  }
}
