import { ChangeDetectionStrategy, Component, OnInit, inject, signal } from '@angular/core';
import { FormControl, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { ActivatedRoute, RouterLink } from '@angular/router';
import { firstValueFrom } from 'rxjs';
import { AuthApi, DEFAULT_VERIFIED_URL } from '../api/auth-api.service';
import { safeReturnUrl } from '../core/return-url';
import { RuntimeInfo } from '../core/runtime-info.service';
import { Brand } from '../shared/brand.component';
import { ErrorBanner } from '../shared/error-banner.component';
import { Icon } from '../shared/icon.component';

/** After sign-up: where the verification mail went, a resend button, and on a local runtime the dev mailbox. */
@Component({
  selector: 'app-verify-email-page',
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
    Icon,
  ],
  template: `
    <main class="auth-page">
      <app-brand class="auth-brand" />
      <mat-card class="auth-card" appearance="outlined">
        <mat-card-header>
          <mat-card-title><h1>Check your inbox</h1></mat-card-title>
        </mat-card-header>
        <mat-card-content>
          <app-error-banner [error]="error()" />
          @if (sent()) {
            <div class="banner banner-ok" role="status" data-testid="resent-notice">
              <app-icon name="check" />
              <span class="banner-text">We sent a new link.</span>
            </div>
          }
          @if (knownAddress) {
            <p data-testid="verify-email-message">
              We sent a verification link to <strong data-testid="verify-email-address">{{ email.value }}</strong>.
              Open it to confirm your address and continue.
            </p>
          } @else {
            <p>Enter your email address and we'll send you a verification link.</p>
            <mat-form-field appearance="outline">
              <mat-label>Email</mat-label>
              <input matInput type="email" [formControl]="email" autocomplete="email" data-testid="verify-email-input" />
            </mat-form-field>
          }
          <div class="actions-row">
            <button
              mat-stroked-button
              type="button"
              (click)="resend()"
              [disabled]="busy() || email.invalid"
              data-testid="resend-verification"
            >
              @if (busy()) {
                <mat-progress-spinner mode="indeterminate" diameter="18" aria-label="Sending" />
              }
              Resend email
            </button>
            @if (runtime.isLocal()) {
              <a
                mat-flat-button
                routerLink="/dev/mail"
                [queryParams]="email.value ? { to: email.value } : {}"
                data-testid="dev-mail-link"
              >
                <app-icon name="mail" />
                Open the dev mailbox
              </a>
            }
          </div>
          @if (runtime.isLocal()) {
            <p class="muted small">This server runs locally, so mail is kept in the dev mailbox instead of being sent.</p>
          }
        </mat-card-content>
        <mat-card-footer class="auth-footer">
          Already verified? <a routerLink="/sign-in" [queryParams]="signInQuery" data-testid="sign-in-link">Sign in</a>
        </mat-card-footer>
      </mat-card>
    </main>
  `,
})
export class VerifyEmailPage implements OnInit {
  private readonly authApi = inject(AuthApi);
  protected readonly runtime = inject(RuntimeInfo);
  private readonly query = inject(ActivatedRoute).snapshot.queryParamMap;

  private readonly returnUrl = this.query.get('returnUrl');
  protected readonly knownAddress = this.email0() !== '';
  protected readonly signInQuery = {
    ...(this.email0() ? { email: this.email0() } : {}),
    ...(this.returnUrl ? { returnUrl: this.returnUrl } : {}),
  };
  protected readonly email = new FormControl(this.email0(), { nonNullable: true, validators: [Validators.required, Validators.email] });
  protected readonly busy = signal(false);
  protected readonly sent = signal(false);
  protected readonly error = signal<unknown>(null);

  private email0(): string {
    return this.query.get('email') ?? '';
  }

  ngOnInit(): void {
    void this.runtime.load();
  }

  async resend(): Promise<void> {
    if (this.email.invalid) return;
    this.busy.set(true);
    this.error.set(null);
    this.sent.set(false);
    try {
      const callbackURL = safeReturnUrl(this.returnUrl, DEFAULT_VERIFIED_URL);
      await firstValueFrom(this.authApi.sendVerificationEmail(this.email.value.trim().toLowerCase(), callbackURL));
      this.sent.set(true);
    } catch (err) {
      this.error.set(err);
    } finally {
      this.busy.set(false);
    }
  }
}
