import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDividerModule } from '@angular/material/divider';
import { MatMenuModule } from '@angular/material/menu';
import { Router } from '@angular/router';
import { SessionStore } from '../core/session.store';
import { Icon } from '../shared/icon.component';

@Component({
  selector: 'app-user-menu',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatButtonModule, MatDividerModule, MatMenuModule, Icon],
  template: `
    <button mat-icon-button [matMenuTriggerFor]="menu" aria-label="Account menu" data-testid="user-menu">
      <span class="avatar" aria-hidden="true">{{ initial() }}</span>
    </button>
    <mat-menu #menu="matMenu" xPosition="before">
      <div class="who">
        <div class="who-name">{{ store.user()?.name }}</div>
        <div class="muted small" data-testid="user-email">{{ store.user()?.email }}</div>
      </div>
      <mat-divider />
      <button mat-menu-item (click)="signOut()" data-testid="sign-out">
        <app-icon name="logout" [size]="18" /> <span>Sign out</span>
      </button>
    </mat-menu>
  `,
  styles: `
    .avatar {
      display: inline-flex;
      align-items: center;
      justify-content: center;
      width: 32px;
      height: 32px;
      border-radius: 50%;
      background: var(--mat-sys-primary-container);
      color: var(--mat-sys-on-primary-container);
      font: var(--mat-sys-title-small);
    }
    .who {
      padding: 12px 16px;
    }
    .who-name {
      font: var(--mat-sys-title-small);
    }
  `,
})
export class UserMenu {
  protected readonly store = inject(SessionStore);
  private readonly router = inject(Router);
  protected readonly initial = computed(() => (this.store.user()?.name || this.store.user()?.email || '?').charAt(0).toUpperCase());

  async signOut(): Promise<void> {
    await this.store.signOut().catch(() => undefined);
    await this.router.navigateByUrl('/sign-in');
  }
}
