import { Injectable, computed, inject, signal } from '@angular/core';
import { firstValueFrom } from 'rxjs';
import { Api } from '../api/api.service';
import { ApiError, toApiError } from '../api/api-error';
import { AuthApi } from '../api/auth-api.service';
import type { AdminStatus, Me, Organization } from '../api/types';

/**
 * Who is signed in, their organisations and which one is active. Loaded once, refreshed after anything that
 * changes the session (sign-in, switching or creating an organisation, impersonation).
 */
@Injectable({ providedIn: 'root' })
export class SessionStore {
  private readonly api = inject(Api);
  private readonly authApi = inject(AuthApi);

  private readonly state = signal<{ me: Me | null; orgs: Organization[]; impersonating: AdminStatus['impersonating'] }>({
    me: null,
    orgs: [],
    impersonating: null,
  });
  private readonly loadedOnce = signal(false);
  private loading: Promise<void> | null = null;

  /** Set when the session could not be read for a reason other than being signed out. */
  readonly loadError = signal<ApiError | null>(null);

  readonly loaded = this.loadedOnce.asReadonly();
  readonly me = computed(() => this.state().me);
  readonly user = computed(() => this.state().me?.user ?? null);
  readonly signedIn = computed(() => this.state().me !== null);
  readonly orgs = computed(() => this.state().orgs);
  readonly activeOrg = computed(() => {
    const { me, orgs } = this.state();
    return orgs.find((o) => o.id === me?.activeOrganizationId) ?? orgs.find((o) => o.active) ?? null;
  });
  /** Changes only when the organisation does, not on every refresh: a good key for reloading data. */
  readonly activeOrgId = computed(() => this.activeOrg()?.id ?? null);
  /** Who is acting in which organisation; the realtime socket is bound to both. */
  readonly identityKey = computed(() => `${this.state().me?.user.id ?? ''}:${this.activeOrgId() ?? ''}`);
  readonly role = computed(() => this.activeOrg()?.role ?? null);
  /** Owners and admins manage members, invitations and settings. */
  readonly canManage = computed(() => this.role() === 'owner' || this.role() === 'admin');
  readonly isSuperAdmin = computed(() => this.state().me?.isSuperAdmin ?? false);
  /** Non-null while a super-admin acts as someone else. */
  readonly impersonation = computed(() => {
    const { me, impersonating } = this.state();
    if (!me?.impersonatedBy) return null;
    return { email: impersonating?.email ?? me.user.email, realUserId: me.impersonatedBy };
  });

  /** Resolves once the session has been read at least once. */
  ensureLoaded(): Promise<void> {
    if (this.loadedOnce()) return Promise.resolve();
    return this.loading ?? this.refresh();
  }

  /** Reads the session again, after any read already under way, so the result reflects every change before the call. */
  refresh(): Promise<void> {
    const run = this.loading ? this.loading.then(() => this.load()) : this.load();
    const tracked = run.finally(() => {
      if (this.loading === tracked) this.loading = null;
    });
    this.loading = tracked;
    return tracked;
  }

  /** Replaces one organisation in place (after a rename, say) without a round trip. */
  patchOrg(org: Organization): void {
    this.state.update((s) => ({ ...s, orgs: s.orgs.map((o) => (o.id === org.id ? { ...o, ...org } : o)) }));
  }

  async activate(orgId: string): Promise<void> {
    await firstValueFrom(this.api.activateOrg(orgId));
    await this.refresh();
  }

  async signOut(): Promise<void> {
    try {
      await firstValueFrom(this.authApi.signOut());
    } finally {
      this.clear();
    }
  }

  clear(): void {
    this.state.set({ me: null, orgs: [], impersonating: null });
    this.loadedOnce.set(true);
  }

  private async load(): Promise<void> {
    try {
      const me = await firstValueFrom(this.api.me());
      const [orgs, status] = await Promise.all([
        firstValueFrom(this.api.listOrgs()),
        me.impersonatedBy ? firstValueFrom(this.api.adminStatus()).catch(() => null) : Promise.resolve(null),
      ]);
      this.state.set({ me, orgs: orgs.organizations, impersonating: status?.impersonating ?? null });
      this.loadError.set(null);
    } catch (err) {
      const error = toApiError(err);
      this.state.set({ me: null, orgs: [], impersonating: null });
      this.loadError.set(error.status === 401 || error.status === 403 ? null : error);
    } finally {
      this.loadedOnce.set(true);
    }
  }
}
