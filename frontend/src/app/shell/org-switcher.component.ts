import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatDividerModule } from '@angular/material/divider';
import { MatMenuModule } from '@angular/material/menu';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { MatSnackBar } from '@angular/material/snack-bar';
import { Router } from '@angular/router';
import { firstValueFrom } from 'rxjs';
import { toApiError } from '../api/api-error';
import type { Organization } from '../api/types';
import { SessionStore } from '../core/session.store';
import { Icon } from '../shared/icon.component';
import { CreateOrgDialog } from './create-org-dialog.component';

/** The toolbar menu that shows the active organisation, switches to another, or creates one. */
@Component({
  selector: 'app-org-switcher',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatButtonModule, MatDividerModule, MatMenuModule, MatProgressSpinnerModule, Icon],
  template: `
    <button
      mat-button
      class="org-switcher"
      [matMenuTriggerFor]="menu"
      [attr.aria-label]="'Organisation: ' + (store.activeOrg()?.name ?? 'none') + '. Switch organisation'"
      data-testid="org-switcher"
    >
      @if (switching()) {
        <mat-progress-spinner mode="indeterminate" diameter="16" aria-label="Switching organisation" />
      } @else {
        <app-icon name="organization" [size]="18" />
      }
      <span class="org-name" data-testid="active-org-name">{{ store.activeOrg()?.name ?? 'No organisation' }}</span>
      <app-icon name="chevron-down" [size]="18" />
    </button>
    <mat-menu #menu="matMenu" class="org-menu">
      <div class="menu-caption" aria-hidden="true">Organisations</div>
      @for (org of store.orgs(); track org.id) {
        <button
          mat-menu-item
          role="menuitemradio"
          [attr.aria-checked]="org.id === store.activeOrg()?.id"
          (click)="switchTo(org)"
          data-testid="org-switcher-item"
          [attr.data-org-id]="org.id"
        >
          <span class="org-item">
            <span class="org-check">
              @if (org.id === store.activeOrg()?.id) {
                <app-icon name="check" [size]="18" />
              }
            </span>
            <span>{{ org.name }}</span>
            <span class="muted small">{{ org.role }}</span>
          </span>
        </button>
      }
      <mat-divider />
      <button mat-menu-item (click)="create()" data-testid="org-switcher-create">
        <span class="org-item">
          <span class="org-check"><app-icon name="plus" [size]="18" /></span>
          <span>Create organisation</span>
        </span>
      </button>
    </mat-menu>
  `,
  styles: `
    .org-switcher {
      max-width: min(280px, 50vw);
    }
    .org-name {
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
      margin: 0 4px;
    }
    .org-item {
      display: inline-flex;
      align-items: center;
      gap: 8px;
    }
    .org-check {
      display: inline-flex;
      width: 20px;
    }
    .menu-caption {
      padding: 8px 16px 4px;
      font: var(--mat-sys-label-medium);
      color: var(--mat-sys-on-surface-variant);
    }
  `,
})
export class OrgSwitcher {
  protected readonly store = inject(SessionStore);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly router = inject(Router);
  protected readonly switching = signal(false);

  async switchTo(org: Organization): Promise<void> {
    if (org.id === this.store.activeOrg()?.id) return;
    this.switching.set(true);
    try {
      await this.store.activate(org.id);
      this.snackBar.open(`Switched to ${org.name}`, undefined, { duration: 2500 });
    } catch (err) {
      this.snackBar.open(toApiError(err).message, 'Dismiss', { duration: 6000 });
    } finally {
      this.switching.set(false);
    }
  }

  async create(): Promise<void> {
    const created = await firstValueFrom(this.dialog.open(CreateOrgDialog, { width: '440px' }).afterClosed());
    if (!created) return;
    await this.store.refresh();
    this.snackBar.open(`Created ${created.name}`, undefined, { duration: 2500 });
    await this.router.navigateByUrl('/');
  }
}
