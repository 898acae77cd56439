import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { rxResource } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { RouterLink } from '@angular/router';
import { Api } from '../api/api.service';
import { SessionStore } from '../core/session.store';
import { Icon, IconName } from '../shared/icon.component';

interface QuickLink {
  path: string;
  title: string;
  text: string;
  icon: IconName;
}

const QUICK_LINKS: QuickLink[] = [
  { path: '/members', title: 'Invite your team', text: 'Add teammates and choose who can manage the organisation.', icon: 'members' },
  { path: '/api-keys', title: 'Create an API key', text: 'Use the CLI and scripts as yourself in this organisation.', icon: 'key' },
  { path: '/sessions', title: 'Start a session', text: 'Work with an agent live in a cloud sandbox.', icon: 'sessions' },
  { path: '/settings', title: 'Organisation settings', text: 'Rename the organisation and choose allowed email domains.', icon: 'settings' },
];

@Component({
  selector: 'app-overview-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterLink, MatButtonModule, MatCardModule, MatProgressSpinnerModule, Icon],
  template: `
    <div class="page">
      <header class="page-header">
        <div>
          <p class="muted eyebrow" data-testid="welcome">Welcome, {{ store.user()?.name }}</p>
          <h1 data-testid="dashboard-heading">{{ store.activeOrg()?.name }}</h1>
        </div>
      </header>

      <section class="stat-row" aria-label="Organisation at a glance">
        <mat-card appearance="outlined" class="stat">
          <mat-card-content>
            <div class="stat-label">Members</div>
            <div class="stat-value" data-testid="member-count">
              @if (members.hasValue()) {
                {{ memberCount() }}
              } @else if (members.error()) {
                –
              } @else {
                <mat-progress-spinner mode="indeterminate" diameter="24" aria-label="Loading members" />
              }
            </div>
          </mat-card-content>
        </mat-card>
        <mat-card appearance="outlined" class="stat">
          <mat-card-content>
            <div class="stat-label">Your role</div>
            <div class="stat-value" data-testid="my-role">{{ store.role() }}</div>
          </mat-card-content>
        </mat-card>
        <mat-card appearance="outlined" class="stat">
          <mat-card-content>
            <div class="stat-label">Slug</div>
            <div class="stat-value mono">{{ store.activeOrg()?.slug }}</div>
          </mat-card-content>
        </mat-card>
      </section>

      <h2 class="section-title">Get started</h2>
      <section class="quick-links" aria-label="Quick links">
        @for (link of links; track link.path) {
          <a class="quick-link surface" [routerLink]="link.path" [attr.data-testid]="'quick-link' + link.path.replace('/', '-')">
            <app-icon [name]="link.icon" [size]="28" />
            <span class="quick-title">{{ link.title }}</span>
            <span class="muted small">{{ link.text }}</span>
          </a>
        }
      </section>
    </div>
  `,
  styles: `
    .eyebrow {
      margin: 0;
    }
    .stat-row {
      display: grid;
      grid-template-columns: repeat(auto-fit, minmax(180px, 1fr));
      gap: 16px;
    }
    .stat-label {
      font: var(--mat-sys-label-large);
      color: var(--mat-sys-on-surface-variant);
    }
    .stat-value {
      font: var(--mat-sys-headline-small);
      margin-top: 4px;
      text-transform: capitalize;
      min-height: 32px;
    }
    .stat-value.mono {
      text-transform: none;
    }
    .quick-links {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(220px, 1fr));
      gap: 16px;
    }
    .quick-link {
      display: flex;
      flex-direction: column;
      gap: 8px;
      padding: 20px;
      color: inherit;
      text-decoration: none;
      transition: border-color 120ms ease;
    }
    .quick-link:hover,
    .quick-link:focus-visible {
      border-color: var(--mat-sys-primary);
    }
    .quick-link app-icon {
      color: var(--mat-sys-primary);
    }
    .quick-title {
      font: var(--mat-sys-title-medium);
    }
  `,
})
export class OverviewPage {
  protected readonly store = inject(SessionStore);
  private readonly api = inject(Api);
  protected readonly links = QUICK_LINKS;

  protected readonly members = rxResource({
    params: () => this.store.activeOrgId() ?? undefined,
    stream: () => this.api.listMembers(),
  });
  protected readonly memberCount = computed(() => (this.members.hasValue() ? this.members.value().members.length : 0));
}
