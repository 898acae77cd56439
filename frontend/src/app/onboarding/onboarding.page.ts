import { ChangeDetectionStrategy, Component, OnInit, computed, inject, signal } from '@angular/core';
import { FormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { Router, RouterLink } from '@angular/router';
import { firstValueFrom } from 'rxjs';
import { Api } from '../api/api.service';
import { toApiError } from '../api/api-error';
import type { Onboarding, Organization } from '../api/types';
import { SessionStore } from '../core/session.store';
import { Brand } from '../shared/brand.component';
import { ErrorBanner } from '../shared/error-banner.component';
import { Icon } from '../shared/icon.component';
import { ImpersonationBanner } from '../shell/impersonation-banner.component';
import { SLUG_MESSAGE, SLUG_PATTERN } from '../shared/patterns';
import { applyServerErrors, controlError } from '../shared/server-errors';

/** First stop after verifying: create an organisation, or join one that invited you or shares your domain. */
@Component({
  selector: 'app-onboarding-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    ReactiveFormsModule,
    RouterLink,
    MatButtonModule,
    MatCardModule,
    MatFormFieldModule,
    MatInputModule,
    MatProgressBarModule,
    MatProgressSpinnerModule,
    Brand,
    ErrorBanner,
    Icon,
    ImpersonationBanner,
  ],
  template: `
    <!-- A super-admin impersonating someone without an organisation lands here: keep the way back in sight. -->
    <app-impersonation-banner />
    <main class="auth-page onboarding">
      <div class="onboarding-top">
        <app-brand class="auth-brand" />
        <button mat-button type="button" (click)="signOut()" data-testid="onboarding-sign-out">
          <app-icon name="logout" /> Sign out
        </button>
      </div>

      @if (loading()) {
        <mat-progress-bar mode="indeterminate" aria-label="Loading" class="onboarding-progress" />
      }
      <app-error-banner class="onboarding-error" [error]="error()" retryLabel="Retry" (retry)="load()" />

      @if (finishing(); as org) {
        <mat-card class="auth-card" appearance="outlined" data-testid="onboarding-finish-step">
          <mat-card-header>
            <mat-card-title><h1>{{ org.name }} is ready</h1></mat-card-title>
            <mat-card-subtitle>You are its owner. Invite your team from the Members page.</mat-card-subtitle>
          </mat-card-header>
          <mat-card-actions align="end">
            <button mat-flat-button type="button" (click)="finish()" [disabled]="busy()" data-testid="onboarding-finish">
              @if (busy()) {
                <mat-progress-spinner mode="indeterminate" diameter="18" aria-label="Finishing" />
              }
              Go to the dashboard
            </button>
          </mat-card-actions>
        </mat-card>
      } @else if (state(); as s) {
        <h1 class="onboarding-title">Welcome{{ firstName() ? ', ' + firstName() : '' }}</h1>
        <p class="muted onboarding-lead">Set up an organisation to start running agents with your team.</p>

        @if (s.pendingInvitations.length > 0) {
          <mat-card class="auth-card" appearance="outlined" data-testid="onboarding-invitations">
            <mat-card-header>
              <mat-card-title><h2>You have been invited</h2></mat-card-title>
            </mat-card-header>
            <mat-card-content>
              <ul class="choice-list">
                @for (inv of s.pendingInvitations; track inv.id) {
                  <li>
                    <div>
                      <strong>{{ inv.organizationName }}</strong>
                      <div class="muted small">
                        As {{ inv.role }}{{ inv.inviterName ? ' · invited by ' + inv.inviterName : '' }}
                      </div>
                    </div>
                    <button
                      mat-flat-button
                      type="button"
                      (click)="accept(inv.id)"
                      [disabled]="busy()"
                      [attr.aria-label]="'Accept invitation to ' + inv.organizationName"
                      data-testid="onboarding-accept-invitation"
                    >
                      Accept
                    </button>
                  </li>
                }
              </ul>
            </mat-card-content>
          </mat-card>
        }

        @if (s.suggestions.length > 0) {
          <mat-card class="auth-card" appearance="outlined" data-testid="onboarding-suggestions">
            <mat-card-header>
              <mat-card-title><h2>Teams using your email domain</h2></mat-card-title>
            </mat-card-header>
            <mat-card-content>
              <ul class="choice-list">
                @for (org of s.suggestions; track org.id) {
                  <li>
                    <div>
                      <strong>{{ org.name }}</strong>
                      <div class="muted small">{{ org.memberCount }} {{ org.memberCount === 1 ? 'member' : 'members' }}</div>
                    </div>
                    <button
                      mat-stroked-button
                      type="button"
                      (click)="join(org.id)"
                      [disabled]="busy()"
                      [attr.aria-label]="'Join ' + org.name"
                      data-testid="onboarding-join-org"
                    >
                      Join
                    </button>
                  </li>
                }
              </ul>
            </mat-card-content>
          </mat-card>
        }

        <mat-card class="auth-card" appearance="outlined">
          <mat-card-header>
            <mat-card-title><h2>Create an organisation</h2></mat-card-title>
          </mat-card-header>
          <mat-card-content>
            <form [formGroup]="form" (ngSubmit)="create()" novalidate data-testid="onboarding-create-form" aria-label="Create an organisation">
              <mat-form-field appearance="outline">
                <mat-label>Organisation name</mat-label>
                <input matInput formControlName="name" autocomplete="organization" data-testid="onboarding-org-name" />
                <mat-error>{{ errorOf('name') }}</mat-error>
              </mat-form-field>
              <mat-form-field appearance="outline">
                <mat-label>Slug (optional)</mat-label>
                <input matInput formControlName="slug" data-testid="onboarding-org-slug" />
                <mat-hint>Lowercase letters, digits and dashes. Leave empty to derive it from the name.</mat-hint>
                <mat-error>{{ errorOf('slug') }}</mat-error>
              </mat-form-field>
              <button mat-flat-button type="submit" class="wide" [disabled]="busy()" data-testid="onboarding-create-org">
                @if (busy()) {
                  <mat-progress-spinner mode="indeterminate" diameter="18" aria-label="Creating" />
                }
                Create organisation
              </button>
            </form>
          </mat-card-content>
        </mat-card>

        @if (s.hasOrg) {
          <p class="auth-footer"><a routerLink="/" data-testid="onboarding-dashboard-link">Back to the dashboard</a></p>
        }
      }
    </main>
  `,
  styles: `
    :host {
      display: flex;
      flex-direction: column;
      min-height: 100vh;
      min-height: 100dvh;
    }
    /* The page fills what the impersonation banner (if any) leaves, instead of a full screen below it. */
    .auth-page.onboarding {
      flex: 1;
      min-height: 0;
    }
    .onboarding-top {
      width: min(100%, 560px);
      display: flex;
      justify-content: space-between;
      align-items: center;
    }
    .onboarding-title {
      margin: 8px 0 0;
      font: var(--mat-sys-headline-medium);
    }
    .onboarding-lead {
      margin: 0 0 8px;
    }
    .onboarding-progress,
    .onboarding-error {
      width: min(100%, 560px);
    }
    .choice-list {
      list-style: none;
      margin: 0;
      padding: 0;
    }
    .choice-list li {
      display: flex;
      align-items: center;
      justify-content: space-between;
      gap: 16px;
      padding: 12px 0;
      border-bottom: 1px solid var(--mat-sys-outline-variant);
    }
    .choice-list li:last-child {
      border-bottom: 0;
    }
  `,
})
export class OnboardingPage implements OnInit {
  private readonly api = inject(Api);
  private readonly store = inject(SessionStore);
  private readonly router = inject(Router);

  protected readonly state = signal<Onboarding | null>(null);
  protected readonly created = signal<Organization | null>(null);
  protected readonly loading = signal(false);
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);

  protected readonly firstName = computed(() => this.store.user()?.name.split(' ')[0] ?? '');
  /** The organisation to finish setting up: just created here, or created earlier without finishing. */
  protected readonly finishing = computed(() => {
    const created = this.created();
    if (created) return created;
    const s = this.state();
    const active = this.store.activeOrg();
    return s?.hasOrg && !s.onboardingComplete && active?.role === 'owner' && active.id === s.activeOrganizationId ? active : null;
  });

  protected readonly form = inject(FormBuilder).nonNullable.group({
    name: ['', [Validators.required, Validators.maxLength(80)]],
    slug: ['', [Validators.minLength(2), Validators.maxLength(48), Validators.pattern(SLUG_PATTERN)]],
  });

  protected errorOf(name: 'name' | 'slug'): string | null {
    return controlError(this.form.controls[name], { pattern: SLUG_MESSAGE });
  }

  ngOnInit(): void {
    void this.load();
  }

  async load(): Promise<void> {
    this.loading.set(true);
    this.error.set(null);
    try {
      this.state.set(await firstValueFrom(this.api.onboarding()));
    } catch (err) {
      this.error.set(toApiError(err).message);
    } finally {
      this.loading.set(false);
    }
  }

  async create(): Promise<void> {
    this.error.set(null);
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const { name, slug } = this.form.getRawValue();
    await this.run(async () => {
      const org = await firstValueFrom(this.api.createOrg({ name: name.trim(), ...(slug.trim() ? { slug: slug.trim() } : {}) }));
      await this.store.refresh();
      this.created.set(org);
    }, true);
  }

  async finish(): Promise<void> {
    await this.run(async () => {
      await firstValueFrom(this.api.completeOnboarding());
      await this.store.refresh();
      await this.router.navigateByUrl('/');
    });
  }

  async join(orgId: string): Promise<void> {
    await this.run(async () => {
      await firstValueFrom(this.api.joinOrg(orgId));
      await this.enterDashboard();
    });
  }

  async accept(invitationId: string): Promise<void> {
    await this.run(async () => {
      await firstValueFrom(this.api.acceptInvitation(invitationId));
      await this.enterDashboard();
    });
  }

  async signOut(): Promise<void> {
    await this.store.signOut().catch(() => undefined);
    await this.router.navigateByUrl('/sign-in');
  }

  private async enterDashboard(): Promise<void> {
    await this.store.refresh();
    await this.router.navigateByUrl('/');
  }

  private async run(work: () => Promise<void>, formErrors = false): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    try {
      await work();
    } catch (err) {
      const error = toApiError(err);
      this.error.set(formErrors ? applyServerErrors(this.form, error) : error.message);
    } finally {
      this.busy.set(false);
    }
  }
}
