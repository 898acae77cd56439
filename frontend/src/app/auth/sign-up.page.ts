import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { ActivatedRoute, Router, RouterLink } from '@angular/router';
import { firstValueFrom } from 'rxjs';
import { toApiError } from '../api/api-error';
import { AuthApi, DEFAULT_VERIFIED_URL } from '../api/auth-api.service';
import { safeReturnUrl } from '../core/return-url';
import { SessionStore } from '../core/session.store';
import { Brand } from '../shared/brand.component';
import { ErrorBanner } from '../shared/error-banner.component';
import { applyServerErrors, controlError } from '../shared/server-errors';
import { withAuthField } from './auth-errors';

export const MIN_PASSWORD_LENGTH = 8;

@Component({
  selector: 'app-sign-up-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    ReactiveFormsModule,
    RouterLink,
    MatButtonModule,
    MatCardModule,
    MatFormFieldModule,
    MatInputModule,
    MatProgressSpinnerModule,
    Brand,
    ErrorBanner,
  ],
  template: `
    <main class="auth-page">
      <app-brand class="auth-brand" />
      <mat-card class="auth-card" appearance="outlined">
        <mat-card-header>
          <mat-card-title><h1>Create your account</h1></mat-card-title>
          <mat-card-subtitle>Run coding agents for your team in cloud sandboxes.</mat-card-subtitle>
        </mat-card-header>
        <mat-card-content>
          <app-error-banner [error]="error()" />
          <form [formGroup]="form" (ngSubmit)="submit()" novalidate data-testid="sign-up-form" aria-label="Sign up">
            <mat-form-field appearance="outline">
              <mat-label>Name</mat-label>
              <input matInput formControlName="name" autocomplete="name" data-testid="sign-up-name" />
              <mat-error>{{ errorOf('name') }}</mat-error>
            </mat-form-field>
            <mat-form-field appearance="outline">
              <mat-label>Email</mat-label>
              <input matInput type="email" formControlName="email" autocomplete="email" data-testid="sign-up-email" />
              <mat-error data-testid="sign-up-email-error">{{ errorOf('email') }}</mat-error>
            </mat-form-field>
            <mat-form-field appearance="outline">
              <mat-label>Password</mat-label>
              <input
                matInput
                type="password"
                formControlName="password"
                autocomplete="new-password"
                data-testid="sign-up-password"
              />
              <mat-hint>At least {{ minPassword }} characters.</mat-hint>
              <mat-error data-testid="sign-up-password-error">{{ errorOf('password') }}</mat-error>
            </mat-form-field>
            <button mat-flat-button type="submit" class="wide" [disabled]="busy()" data-testid="sign-up-submit">
              @if (busy()) {
                <mat-progress-spinner mode="indeterminate" diameter="18" aria-label="Creating account" />
              }
              Create account
            </button>
          </form>
        </mat-card-content>
        <mat-card-footer class="auth-footer">
          Already have an account?
          <a routerLink="/sign-in" [queryParams]="returnQuery" data-testid="sign-in-link">Sign in</a>
        </mat-card-footer>
      </mat-card>
    </main>
  `,
})
export class SignUpPage {
  private readonly authApi = inject(AuthApi);
  private readonly store = inject(SessionStore);
  private readonly router = inject(Router);
  private readonly query = inject(ActivatedRoute).snapshot.queryParamMap;

  protected readonly minPassword = MIN_PASSWORD_LENGTH;
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  private readonly returnUrl = this.query.get('returnUrl');
  protected readonly returnQuery = this.returnUrl ? { returnUrl: this.returnUrl } : {};

  protected readonly form = inject(FormBuilder).nonNullable.group({
    name: ['', [Validators.required, Validators.maxLength(80)]],
    email: [this.query.get('email') ?? '', [Validators.required, Validators.email, Validators.maxLength(254)]],
    password: ['', [Validators.required, Validators.minLength(MIN_PASSWORD_LENGTH), Validators.maxLength(128)]],
  });

  protected errorOf(name: 'name' | 'email' | 'password'): string | null {
    return controlError(this.form.controls[name]);
  }

  async submit(): Promise<void> {
    this.error.set(null);
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const value = this.form.getRawValue();
    const body = { name: value.name.trim(), email: value.email.trim().toLowerCase(), password: value.password };
    const next = safeReturnUrl(this.returnUrl, DEFAULT_VERIFIED_URL);
    this.busy.set(true);
    try {
      const reply = await firstValueFrom(this.authApi.signUp(body, next));
      if (reply.token) {
        // Verification is off: the account is signed in already.
        await this.store.refresh();
        await this.router.navigateByUrl(next);
        return;
      }
      await this.router.navigate(['/verify-email'], {
        queryParams: { email: body.email, ...(this.returnUrl ? { returnUrl: next } : {}) },
      });
    } catch (err) {
      this.error.set(applyServerErrors(this.form, withAuthField(toApiError(err))));
    } finally {
      this.busy.set(false);
    }
  }
}
