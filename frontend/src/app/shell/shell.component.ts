import { BreakpointObserver } from '@angular/cdk/layout';
import { ChangeDetectionStrategy, Component, DestroyRef, computed, effect, inject, untracked } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatListModule } from '@angular/material/list';
import { MatSidenavModule } from '@angular/material/sidenav';
import { MatToolbarModule } from '@angular/material/toolbar';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { map } from 'rxjs';
import { Realtime } from '../core/realtime.service';
import { SessionStore } from '../core/session.store';
import { Brand } from '../shared/brand.component';
import { Icon } from '../shared/icon.component';
import { ImpersonationBanner } from './impersonation-banner.component';
import { NAV_GROUPS, navTestId } from './nav-items';
import { OrgSwitcher } from './org-switcher.component';
import { UserMenu } from './user-menu.component';

/** The signed-in frame: toolbar, side navigation, and the routed area of the active organisation. */
@Component({
  selector: 'app-shell',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    RouterLink,
    RouterLinkActive,
    RouterOutlet,
    MatButtonModule,
    MatListModule,
    MatSidenavModule,
    MatToolbarModule,
    Brand,
    Icon,
    ImpersonationBanner,
    OrgSwitcher,
    UserMenu,
  ],
  template: `
    <app-impersonation-banner />
    <mat-toolbar class="app-toolbar" role="banner">
      @if (handset()) {
        <button mat-icon-button type="button" (click)="sidenav.toggle()" aria-label="Toggle navigation" data-testid="nav-toggle">
          <app-icon name="menu" />
        </button>
      }
      <a routerLink="/" class="brand-link" aria-label="Proliferate overview"><app-brand [compact]="handset()" /></a>
      @if (!handset()) {
        <span class="toolbar-divider" aria-hidden="true"></span>
      }
      <app-org-switcher />
      <span class="spacer"></span>
      <app-user-menu />
    </mat-toolbar>

    <mat-sidenav-container class="shell-container">
      <mat-sidenav
        #sidenav
        class="shell-nav"
        [mode]="handset() ? 'over' : 'side'"
        [opened]="!handset()"
        [fixedInViewport]="false"
      >
        <nav aria-label="Main">
          @for (group of groups(); track group.label) {
            <div class="nav-group-label">{{ group.label }}</div>
            <mat-nav-list>
              @for (item of group.items; track item.path) {
                <a
                  mat-list-item
                  [routerLink]="item.path"
                  routerLinkActive="active-link"
                  #rla="routerLinkActive"
                  [routerLinkActiveOptions]="{ exact: item.path === '/' || !!item.exact }"
                  [activated]="rla.isActive"
                  [attr.aria-current]="rla.isActive ? 'page' : null"
                  [attr.data-testid]="testId(item)"
                  (click)="handset() && sidenav.close()"
                >
                  <app-icon matListItemIcon [name]="item.icon" />
                  <span matListItemTitle>{{ item.label }}</span>
                </a>
              }
            </mat-nav-list>
          }
        </nav>
      </mat-sidenav>
      <mat-sidenav-content class="shell-content">
        <main id="main">
          <router-outlet />
        </main>
      </mat-sidenav-content>
    </mat-sidenav-container>
  `,
  styles: `
    :host {
      display: flex;
      flex-direction: column;
      height: 100vh;
      height: 100dvh;
    }
    .shell-container {
      flex: 1;
    }
    .shell-nav {
      padding-top: 8px;
    }
    .nav-group-label {
      padding: 12px 24px 0;
      font: var(--mat-sys-label-medium);
      color: var(--mat-sys-on-surface-variant);
      text-transform: uppercase;
      letter-spacing: 0.06em;
    }
    .toolbar-divider {
      width: 1px;
      height: 24px;
      margin: 0 8px 0 16px;
      background: var(--mat-sys-outline-variant);
    }
  `,
})
export class Shell {
  protected readonly store = inject(SessionStore);
  private readonly realtime = inject(Realtime);

  protected readonly handset = toSignal(
    inject(BreakpointObserver)
      .observe('(max-width: 899.98px)')
      .pipe(map((state) => state.matches)),
    { initialValue: false },
  );

  protected readonly groups = computed(() =>
    NAV_GROUPS.map((g) => ({ ...g, items: g.items.filter((i) => !i.superAdmin || this.store.isSuperAdmin()) })).filter(
      (g) => g.items.length > 0,
    ),
  );
  protected readonly testId = navTestId;

  constructor() {
    // The server binds a socket to the user and organisation it connected with: reconnect when either changes.
    effect(() => {
      const hasOrg = this.store.identityKey() && this.store.activeOrgId() !== null;
      untracked(() => (hasOrg ? this.realtime.connect() : this.realtime.disconnect()));
    });
    inject(DestroyRef).onDestroy(() => this.realtime.disconnect());
  }
}
