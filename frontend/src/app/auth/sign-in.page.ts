import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { ActivatedRoute, Router, RouterLink } from '@angular/router';
import { firstValueFrom } from 'rxjs';
import { ApiError, toApiError } from '../api/api-error';
import { AuthApi } from '../api/auth-api.service';
import { safeReturnUrl } from '../core/return-url';
import { SessionStore } from '../core/session.store';
import { Brand } from '../shared/brand.component';
import { ErrorBanner } from '../shared/error-banner.component';
import { applyServerErrors, controlError } from '../shared/server-errors';

@Component({
  selector: 'app-sign-in-page',
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
          <mat-card-title><h1>Sign in</h1></mat-card-title>
          <mat-card-subtitle>Welcome back.</mat-card-subtitle>
        </mat-card-header>
        <mat-card-content>
          @if (linkError) {
            <div class="banner banner-warn" role="status" data-testid="link-error-banner">
              <span class="banner-text">That verification link is invalid or has expired. Sign in to get a new one.</span>
            </div>
          }
          @if (unverified()) {
            <div class="banner banner-warn" role="alert" data-testid="unverified-banner">
              <span class="banner-text">Verify your email address before signing in.</span>
              <a
                mat-button
                routerLink="/verify-email"
                [queryParams]="{ email: form.controls.email.value, returnUrl: returnUrl }"
                data-testid="verify-email-link"
                >Verify email</a
              >
            </div>
          } @else {
            <app-error-banner [error]="error()" />
          }
          <form [formGroup]="form" (ngSubmit)="submit()" novalidate data-testid="sign-in-form" aria-label="Sign in">
            <mat-form-field appearance="outline">
              <mat-label>Email</mat-label>
              <input matInput type="email" formControlName="email" autocomplete="email" data-testid="sign-in-email" />
              <mat-error>{{ errorOf('email') }}</mat-error>
            </mat-form-field>
            <mat-form-field appearance="outline">
              <mat-label>Password</mat-label>
              <input
                matInput
                type="password"
                formControlName="password"
                autocomplete="current-password"
                data-testid="sign-in-password"
              />
              <mat-error>{{ errorOf('password') }}</mat-error>
            </mat-form-field>
            <button mat-flat-button type="submit" class="wide" [disabled]="busy()" data-testid="sign-in-submit">
              @if (busy()) {
                <mat-progress-spinner mode="indeterminate" diameter="18" aria-label="Signing in" />
              }
              Sign in
            </button>
          </form>
        </mat-card-content>
        <mat-card-footer class="auth-footer">
          New to Proliferate?
          <a routerLink="/sign-up" [queryParams]="returnQuery" data-testid="sign-up-link">Create an account</a>
        </mat-card-footer>
      </mat-card>
    </main>
  `,
})
export class SignInPage {
  private readonly authApi = inject(AuthApi);
  private readonly store = inject(SessionStore);
  private readonly router = inject(Router);
  private readonly query = inject(ActivatedRoute).snapshot.queryParamMap;

  protected readonly returnUrl = this.query.get('returnUrl');
  /** better-auth sends a failed verification back to its callback URL with `?error=CODE`. */
  protected readonly linkError = verificationError(this.returnUrl);
  protected readonly returnQuery = this.returnUrl ? { returnUrl: this.returnUrl } : {};
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly unverified = signal(false);

  protected readonly form = inject(FormBuilder).nonNullable.group({
    email: [this.query.get('email') ?? '', [Validators.required, Validators.email]],
    password: ['', [Validators.required]],
  });

  protected errorOf(name: 'email' | 'password'): string | null {
    return controlError(this.form.controls[name]);
  }

  async submit(): Promise<void> {
    this.error.set(null);
    this.unverified.set(false);
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const { email, password } = this.form.getRawValue();
    this.busy.set(true);
    try {
      await firstValueFrom(this.authApi.signIn({ email: email.trim().toLowerCase(), password }));
      await this.store.refresh();
      await this.router.navigateByUrl(safeReturnUrl(this.linkError ? '/' : this.returnUrl));
    } catch (err) {
      const error = toApiError(err);
      if (error.code === 'EMAIL_NOT_VERIFIED') this.unverified.set(true);
      else this.error.set(signInMessage(error) ?? applyServerErrors(this.form, error));
    } finally {
      this.busy.set(false);
    }
  }
}

function verificationError(returnUrl: string | null): string | null {
  if (!returnUrl) return null;
  const query = returnUrl.split('?')[1];
  return query ? new URLSearchParams(query).get('error') : null;
}

function signInMessage(error: ApiError): string | null {
  if (error.status === 401 || error.code === 'INVALID_EMAIL_OR_PASSWORD') return 'Invalid email or password.';
  return null;
}
