import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { rxResource, takeUntilDestroyed, toObservable } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatDialog } from '@angular/material/dialog';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTableModule } from '@angular/material/table';
import { Observable, auditTime, filter, firstValueFrom, switchMap } from 'rxjs';
import { Api } from '../api/api.service';
import { toApiError } from '../api/api-error';
import type { InvitableRole, Invitation, Member } from '../api/types';
import { Realtime } from '../core/realtime.service';
import { SessionStore } from '../core/session.store';
import { ConfirmData, ConfirmDialog } from '../shared/confirm-dialog.component';
import { EmptyState } from '../shared/empty-state.component';
import { ErrorBanner } from '../shared/error-banner.component';
import { InviteForm } from './invite-form.component';

/** Members and invitations of the active organisation, refreshed live by organisation events. */
@Component({
  selector: 'app-members-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    DatePipe,
    MatButtonModule,
    MatCardModule,
    MatProgressBarModule,
    MatSelectModule,
    MatTableModule,
    EmptyState,
    ErrorBanner,
    InviteForm,
  ],
  template: `
    <div class="page">
      <header class="page-header">
        <div>
          <h1 data-testid="page-heading">Members</h1>
          <p class="muted">People in {{ store.activeOrg()?.name }} and the invitations waiting for an answer.</p>
        </div>
      </header>

      @if (store.canManage()) {
        <mat-card appearance="outlined" class="section-card">
          <mat-card-header><mat-card-title><h2>Invite a member</h2></mat-card-title></mat-card-header>
          <mat-card-content>
            <app-invite-form (invited)="onInvited($event)" />
          </mat-card-content>
        </mat-card>
      }

      <section class="section-card surface" aria-labelledby="members-title">
        <h2 id="members-title" class="table-title">
          Members
          @if (members.hasValue()) {
            <span class="count" data-testid="members-count">{{ memberRows().length }}</span>
          }
        </h2>
        @if (members.isLoading()) {
          <mat-progress-bar mode="indeterminate" aria-label="Loading members" />
        }
        <app-error-banner [error]="members.error()" retryLabel="Retry" (retry)="members.reload()" />
        @if (memberRows().length > 0) {
          <div class="table-scroll">
            <table mat-table [dataSource]="memberRows()" data-testid="members-table" aria-label="Members">
              <ng-container matColumnDef="name">
                <th mat-header-cell *matHeaderCellDef>Name</th>
                <td mat-cell *matCellDef="let m">
                  {{ m.name }}
                  @if (m.userId === store.user()?.id) {
                    <span class="muted small">(you)</span>
                  }
                </td>
              </ng-container>
              <ng-container matColumnDef="email">
                <th mat-header-cell *matHeaderCellDef>Email</th>
                <td mat-cell *matCellDef="let m">{{ m.email }}</td>
              </ng-container>
              <ng-container matColumnDef="role">
                <th mat-header-cell *matHeaderCellDef>Role</th>
                <td mat-cell *matCellDef="let m">
                  @if (canChangeRole(m)) {
                    <mat-select
                      class="role-select"
                      [value]="m.role"
                      (selectionChange)="changeRole(m, $event.value)"
                      [disabled]="busyId() === m.id"
                      [aria-label]="'Role of ' + m.email"
                      data-testid="member-role-select"
                    >
                      <mat-option value="member">Member</mat-option>
                      <mat-option value="admin">Admin</mat-option>
                    </mat-select>
                  } @else {
                    <span class="role-chip" [attr.data-role]="m.role" data-testid="member-role">{{ m.role }}</span>
                  }
                </td>
              </ng-container>
              <ng-container matColumnDef="joined">
                <th mat-header-cell *matHeaderCellDef>Joined</th>
                <td mat-cell *matCellDef="let m">{{ m.createdAt | date: 'mediumDate' }}</td>
              </ng-container>
              <ng-container matColumnDef="actions">
                <th mat-header-cell *matHeaderCellDef><span class="cdk-visually-hidden">Actions</span></th>
                <td mat-cell *matCellDef="let m" class="actions-cell">
                  @if (canRemove(m)) {
                    <button
                      mat-button
                      type="button"
                      class="danger-text"
                      (click)="remove(m)"
                      [disabled]="busyId() === m.id"
                      [attr.aria-label]="'Remove ' + m.email"
                      data-testid="member-remove"
                    >
                      Remove
                    </button>
                  }
                </td>
              </ng-container>
              <tr mat-header-row *matHeaderRowDef="memberColumns"></tr>
              <tr mat-row *matRowDef="let m; columns: memberColumns" data-testid="member-row" [attr.data-email]="m.email"></tr>
            </table>
          </div>
        } @else if (members.hasValue()) {
          <app-empty-state title="No members" icon="members" />
        }
      </section>

      <section class="section-card surface" aria-labelledby="invitations-title">
        <h2 id="invitations-title" class="table-title">Invitations</h2>
        @if (invitations.isLoading()) {
          <mat-progress-bar mode="indeterminate" aria-label="Loading invitations" />
        }
        <app-error-banner [error]="invitations.error()" retryLabel="Retry" (retry)="invitations.reload()" />
        @if (invitationRows().length > 0) {
          <div class="table-scroll">
            <table mat-table [dataSource]="invitationRows()" data-testid="invitations-table" aria-label="Invitations">
              <ng-container matColumnDef="email">
                <th mat-header-cell *matHeaderCellDef>Email</th>
                <td mat-cell *matCellDef="let i">{{ i.email }}</td>
              </ng-container>
              <ng-container matColumnDef="role">
                <th mat-header-cell *matHeaderCellDef>Role</th>
                <td mat-cell *matCellDef="let i"><span class="role-chip" [attr.data-role]="i.role">{{ i.role }}</span></td>
              </ng-container>
              <ng-container matColumnDef="status">
                <th mat-header-cell *matHeaderCellDef>Status</th>
                <td mat-cell *matCellDef="let i">
                  <span class="status-chip" [attr.data-status]="i.status" data-testid="invitation-status">{{ i.status }}</span>
                </td>
              </ng-container>
              <ng-container matColumnDef="inviter">
                <th mat-header-cell *matHeaderCellDef>Invited by</th>
                <td mat-cell *matCellDef="let i">{{ i.inviterName ?? '—' }}</td>
              </ng-container>
              <ng-container matColumnDef="expires">
                <th mat-header-cell *matHeaderCellDef>Expires</th>
                <td mat-cell *matCellDef="let i">{{ i.expiresAt | date: 'mediumDate' }}</td>
              </ng-container>
              <ng-container matColumnDef="actions">
                <th mat-header-cell *matHeaderCellDef><span class="cdk-visually-hidden">Actions</span></th>
                <td mat-cell *matCellDef="let i" class="actions-cell">
                  @if (i.status === 'pending' && store.canManage()) {
                    <button
                      mat-button
                      type="button"
                      class="danger-text"
                      (click)="revoke(i)"
                      [disabled]="busyId() === i.id"
                      [attr.aria-label]="'Revoke invitation for ' + i.email"
                      data-testid="invitation-revoke"
                    >
                      Revoke
                    </button>
                  }
                </td>
              </ng-container>
              <tr mat-header-row *matHeaderRowDef="invitationColumns"></tr>
              <tr
                mat-row
                *matRowDef="let i; columns: invitationColumns"
                data-testid="invitation-row"
                [attr.data-email]="i.email"
              ></tr>
            </table>
          </div>
        } @else if (invitations.hasValue()) {
          <app-empty-state title="No invitations" icon="mail">
            @if (store.canManage()) {
              Invite someone with the form above.
            } @else {
              Owners and admins can invite people.
            }
          </app-empty-state>
        }
      </section>
    </div>
  `,
  styles: `
    .role-select {
      width: 120px;
    }
    .count {
      font: var(--mat-sys-label-large);
      color: var(--mat-sys-on-surface-variant);
      margin-left: 8px;
    }
  `,
})
export class MembersPage {
  private readonly api = inject(Api);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  protected readonly store = inject(SessionStore);

  protected readonly memberColumns = ['name', 'email', 'role', 'joined', 'actions'];
  protected readonly invitationColumns = ['email', 'role', 'status', 'inviter', 'expires', 'actions'];
  protected readonly busyId = signal<string | null>(null);

  private readonly orgId = computed(() => this.store.activeOrgId() ?? undefined);
  protected readonly members = rxResource({ params: () => this.orgId(), stream: () => this.api.listMembers() });
  protected readonly invitations = rxResource({ params: () => this.orgId(), stream: () => this.api.listInvitations() });

  protected readonly memberRows = computed<Member[]>(() => (this.members.hasValue() ? this.members.value().members : []));
  protected readonly invitationRows = computed<Invitation[]>(() =>
    this.invitations.hasValue() ? [...this.invitations.value().invitations].sort((a, b) => b.createdAt.localeCompare(a.createdAt)) : [],
  );

  constructor() {
    const realtime = inject(Realtime);
    toObservable(this.orgId)
      .pipe(
        filter((id): id is string => !!id),
        switchMap((id) => realtime.orgEvents(id)),
        auditTime(150),
        takeUntilDestroyed(),
      )
      .subscribe(() => this.refresh());
  }

  protected canChangeRole(m: Member): boolean {
    return this.store.role() === 'owner' && m.role !== 'owner' && m.userId !== this.store.user()?.id;
  }

  protected canRemove(m: Member): boolean {
    return this.store.canManage() && m.role !== 'owner' && m.userId !== this.store.user()?.id;
  }

  protected refresh(): void {
    this.members.reload();
    this.invitations.reload();
  }

  protected onInvited(invitation: Invitation): void {
    this.snackBar.open(`Invitation sent to ${invitation.email}`, undefined, { duration: 3000 });
    this.invitations.reload();
  }

  protected async changeRole(m: Member, role: InvitableRole): Promise<void> {
    await this.act(m.id, () => this.api.updateMember(m.id, role), `${m.email} is now ${role === 'admin' ? 'an admin' : 'a member'}`);
    this.members.reload();
  }

  protected async remove(m: Member): Promise<void> {
    const ok = await this.confirm({
      title: 'Remove member',
      message: `Remove ${m.name || m.email} from ${this.store.activeOrg()?.name}? They lose access at once.`,
      confirm: 'Remove',
      danger: true,
    });
    if (!ok) return;
    await this.act(m.id, () => this.api.removeMember(m.id), `Removed ${m.email}`);
    this.members.reload();
  }

  protected async revoke(i: Invitation): Promise<void> {
    const ok = await this.confirm({
      title: 'Revoke invitation',
      message: `Revoke the invitation for ${i.email}? The link in their email stops working.`,
      confirm: 'Revoke',
      danger: true,
    });
    if (!ok) return;
    await this.act(i.id, () => this.api.revokeInvitation(i.id), `Revoked the invitation for ${i.email}`);
    this.invitations.reload();
  }

  private async confirm(data: ConfirmData): Promise<boolean> {
    return (await firstValueFrom(this.dialog.open(ConfirmDialog, { data, width: '420px' }).afterClosed())) === true;
  }

  private async act(id: string, call: () => Observable<unknown>, done: string): Promise<void> {
    this.busyId.set(id);
    try {
      await firstValueFrom(call());
      this.snackBar.open(done, undefined, { duration: 3000 });
    } catch (err) {
      this.snackBar.open(toApiError(err).message, 'Dismiss', { duration: 6000 });
    } finally {
      this.busyId.set(null);
    }
  }
}
