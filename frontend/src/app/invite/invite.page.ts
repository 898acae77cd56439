import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, OnInit, computed, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { ActivatedRoute, Router, RouterLink } from '@angular/router';
import { firstValueFrom } from 'rxjs';
import { Api } from '../api/api.service';
import { ApiError, toApiError } from '../api/api-error';
import type { PublicInvitation } from '../api/types';
import { SessionStore } from '../core/session.store';
import { Brand } from '../shared/brand.component';
import { ErrorBanner } from '../shared/error-banner.component';

/** What the page can do with an invitation for the person looking at it. */
export type InviteView =
  | 'loading'
  | 'not-found'
  | 'failed'
  | 'signed-out'
  | 'wrong-user'
  | 'can-accept'
  | 'accepted'
  | 'revoked'
  | 'expired'
  | 'rejected';

/** The page an invitation email links to. */
@Component({
  selector: 'app-invite-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [DatePipe, RouterLink, MatButtonModule, MatCardModule, MatProgressBarModule, MatProgressSpinnerModule, Brand, ErrorBanner],
  template: `
    <main class="auth-page">
      <app-brand class="auth-brand" />
      <mat-card class="auth-card" appearance="outlined" data-testid="invite-card" [attr.data-state]="view()">
        @if (view() === 'loading') {
          <mat-progress-bar mode="indeterminate" aria-label="Loading invitation" />
        }
        @if (invitation(); as inv) {
          <mat-card-header>
            <mat-card-title>
              <h1 data-testid="invite-title">Join {{ inv.organizationName }}</h1>
            </mat-card-title>
            <mat-card-subtitle>
              {{ inv.inviterName ? inv.inviterName + ' invited you' : 'You were invited' }} as
              <strong data-testid="invite-role">{{ inv.role }}</strong>.
            </mat-card-subtitle>
          </mat-card-header>
          <mat-card-content>
            <dl class="facts">
              <dt>Organisation</dt>
              <dd data-testid="invite-org">{{ inv.organizationName }}</dd>
              <dt>Invited by</dt>
              <dd>{{ inv.inviterName ?? 'Someone at ' + inv.organizationName }}</dd>
              <dt>For</dt>
              <dd data-testid="invite-email">{{ inv.email }}</dd>
              <dt>Status</dt>
              <dd>
                <span class="status-chip" [attr.data-status]="inv.status" data-testid="invite-status">{{ inv.status }}</span>
              </dd>
              <dt>Expires</dt>
              <dd>{{ inv.expiresAt | date: 'medium' }}</dd>
            </dl>
            <app-error-banner [error]="actionError()" />
          </mat-card-content>
        }

        <mat-card-content>
          @switch (view()) {
            @case ('not-found') {
              <h1>Invitation not found</h1>
              <p data-testid="invite-message">This invitation link is not valid. Ask for a new invitation.</p>
            }
            @case ('failed') {
              <app-error-banner [error]="loadError()" retryLabel="Retry" (retry)="load()" />
            }
            @case ('signed-out') {
              <p data-testid="invite-message">Sign in or create an account with {{ invitation()?.email }} to accept.</p>
              <div class="actions-row">
                <a mat-flat-button routerLink="/sign-in" [queryParams]="authQuery()" data-testid="invite-sign-in">Sign in</a>
                <a mat-stroked-button routerLink="/sign-up" [queryParams]="authQuery()" data-testid="invite-sign-up"
                  >Create an account</a
                >
              </div>
            }
            @case ('wrong-user') {
              <div class="banner banner-warn" role="alert" data-testid="invite-message">
                <span class="banner-text">
                  This invitation is for {{ invitation()?.email }}, but you are signed in as {{ store.user()?.email }}.
                  Sign in with the invited address to accept it.
                </span>
              </div>
              <div class="actions-row">
                <button mat-stroked-button type="button" (click)="switchAccount()" data-testid="invite-switch-account">
                  Sign in as someone else
                </button>
              </div>
            }
            @case ('can-accept') {
              <div class="actions-row">
                <button mat-flat-button type="button" (click)="accept()" [disabled]="busy()" data-testid="invite-accept">
                  @if (busy()) {
                    <mat-progress-spinner mode="indeterminate" diameter="18" aria-label="Accepting" />
                  }
                  Accept invitation
                </button>
              </div>
            }
            @case ('accepted') {
              <p data-testid="invite-message">This invitation has already been accepted.</p>
              @if (store.signedIn()) {
                <a mat-stroked-button routerLink="/">Go to the dashboard</a>
              }
            }
            @case ('revoked') {
              <div class="banner banner-error" role="alert" data-testid="invite-message">
                <span class="banner-text">This invitation was revoked. Ask {{ askWho() }} for a new one.</span>
              </div>
            }
            @case ('expired') {
              <div class="banner banner-error" role="alert" data-testid="invite-message">
                <span class="banner-text">This invitation has expired. Ask {{ askWho() }} for a new one.</span>
              </div>
            }
            @case ('rejected') {
              <p data-testid="invite-message">This invitation was declined.</p>
            }
          }
        </mat-card-content>
      </mat-card>
    </main>
  `,
  styles: `
    .facts {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 6px 16px;
      margin: 8px 0 16px;
    }
    .facts dt {
      color: var(--mat-sys-on-surface-variant);
    }
    .facts dd {
      margin: 0;
      overflow-wrap: anywhere;
    }
  `,
})
export class InvitePage implements OnInit {
  private readonly api = inject(Api);
  private readonly router = inject(Router);
  protected readonly store = inject(SessionStore);
  private readonly id = inject(ActivatedRoute).snapshot.paramMap.get('id') ?? '';

  protected readonly invitation = signal<PublicInvitation | null>(null);
  protected readonly loadError = signal<ApiError | null>(null);
  private readonly loading = signal(true);
  protected readonly busy = signal(false);
  protected readonly actionError = signal<string | null>(null);

  protected readonly view = computed<InviteView>(() => {
    if (this.loading()) return 'loading';
    const error = this.loadError();
    if (error) return error.status === 404 ? 'not-found' : 'failed';
    const inv = this.invitation();
    if (!inv) return 'not-found';
    if (inv.status === 'pending' && Date.parse(inv.expiresAt) < Date.now()) return 'expired';
    if (inv.status !== 'pending') return inv.status;
    const user = this.store.user();
    if (!user) return 'signed-out';
    return user.email.toLowerCase() === inv.email.toLowerCase() ? 'can-accept' : 'wrong-user';
  });

  protected readonly authQuery = computed(() => ({ returnUrl: `/invite/${this.id}`, email: this.invitation()?.email ?? null }));
  protected readonly askWho = computed(() => this.invitation()?.inviterName ?? 'an admin of the organisation');

  ngOnInit(): void {
    void this.load();
  }

  async load(): Promise<void> {
    this.loading.set(true);
    this.loadError.set(null);
    try {
      const [invitation] = await Promise.all([firstValueFrom(this.api.getInvitation(this.id)), this.store.ensureLoaded()]);
      this.invitation.set(invitation);
    } catch (err) {
      this.loadError.set(toApiError(err));
    } finally {
      this.loading.set(false);
    }
  }

  async accept(): Promise<void> {
    this.busy.set(true);
    this.actionError.set(null);
    try {
      await firstValueFrom(this.api.acceptInvitation(this.id));
      await this.store.refresh();
      await this.router.navigateByUrl('/');
    } catch (err) {
      this.actionError.set(toApiError(err).message);
    } finally {
      this.busy.set(false);
    }
  }

  async switchAccount(): Promise<void> {
    await this.store.signOut().catch(() => undefined);
    await this.router.navigate(['/sign-in'], { queryParams: this.authQuery() });
  }
}
