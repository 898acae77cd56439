import { COMMA, ENTER, SPACE } from '@angular/cdk/keycodes';
import { ChangeDetectionStrategy, Component, effect, inject, signal, untracked } from '@angular/core';
import { rxResource } from '@angular/core/rxjs-interop';
import { AbstractControl, FormBuilder, ReactiveFormsModule, ValidationErrors, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatChipInputEvent, MatChipsModule } from '@angular/material/chips';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { MatSnackBar } from '@angular/material/snack-bar';
import { firstValueFrom } from 'rxjs';
import { Api } from '../api/api.service';
import { toApiError } from '../api/api-error';
import type { Organization } from '../api/types';
import { SessionStore } from '../core/session.store';
import { ErrorBanner } from '../shared/error-banner.component';
import { DOMAIN_PATTERN } from '../shared/patterns';
import { applyServerErrors, controlError } from '../shared/server-errors';

const MAX_DOMAINS = 20;

function domainsValidator(control: AbstractControl<string[]>): ValidationErrors | null {
  const bad = control.value.find((d) => !DOMAIN_PATTERN.test(d));
  if (bad) return { domain: `"${bad}" is not a domain such as example.com.` };
  return control.value.length > MAX_DOMAINS ? { tooMany: true } : null;
}

@Component({
  selector: 'app-settings-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    ReactiveFormsModule,
    MatButtonModule,
    MatCardModule,
    MatChipsModule,
    MatFormFieldModule,
    MatInputModule,
    MatProgressBarModule,
    MatProgressSpinnerModule,
    ErrorBanner,
  ],
  template: `
    <div class="page">
      <header class="page-header">
        <div>
          <h1 data-testid="page-heading">Settings</h1>
          <p class="muted">How {{ store.activeOrg()?.name }} is named and who may join it by email domain.</p>
        </div>
      </header>

      <mat-card appearance="outlined" class="section-card settings-card">
        @if (org.isLoading()) {
          <mat-progress-bar mode="indeterminate" aria-label="Loading settings" />
        }
        <mat-card-content>
          <app-error-banner [error]="org.error()" retryLabel="Retry" (retry)="org.reload()" />
          <app-error-banner [error]="error()" />
          @if (!store.canManage()) {
            <p class="banner banner-info" role="note">Only owners and admins can change these settings.</p>
          }
          <form [formGroup]="form" (ngSubmit)="save()" novalidate data-testid="settings-form" aria-label="Organisation settings">
            <mat-form-field appearance="outline">
              <mat-label>Organisation name</mat-label>
              <input matInput formControlName="name" data-testid="settings-name" />
              <mat-error>{{ errorOf('name') }}</mat-error>
            </mat-form-field>

            <mat-form-field appearance="outline">
              <mat-label>Allowed email domains</mat-label>
              <mat-chip-grid #grid formControlName="allowedDomains" aria-label="Allowed email domains" data-testid="settings-domains">
                @for (domain of domains(); track domain) {
                  <mat-chip-row [value]="domain" (removed)="removeDomain(domain)" [editable]="false">
                    {{ domain }}
                    <button matChipRemove type="button" [attr.aria-label]="'Remove ' + domain">×</button>
                  </mat-chip-row>
                }
                <input
                  placeholder="example.com"
                  [matChipInputFor]="grid"
                  [matChipInputSeparatorKeyCodes]="separators"
                  [matChipInputAddOnBlur]="true"
                  (matChipInputTokenEnd)="addDomain($event)"
                  aria-label="Add an allowed email domain"
                  data-testid="settings-domain-input"
                />
              </mat-chip-grid>
              <mat-hint>People who sign up with an address at these domains are offered to join.</mat-hint>
              <mat-error data-testid="settings-domains-error">{{ domainsError() }}</mat-error>
            </mat-form-field>

            @if (store.canManage()) {
              <div class="actions-row">
                <button mat-flat-button type="submit" [disabled]="busy() || form.pristine" data-testid="settings-save">
                  @if (busy()) {
                    <mat-progress-spinner mode="indeterminate" diameter="18" aria-label="Saving" />
                  }
                  Save changes
                </button>
              </div>
            }
          </form>
        </mat-card-content>
      </mat-card>
    </div>
  `,
  styles: `
    .settings-card {
      max-width: 720px;
    }
  `,
})
export class SettingsPage {
  private readonly api = inject(Api);
  private readonly snackBar = inject(MatSnackBar);
  protected readonly store = inject(SessionStore);

  protected readonly separators = [ENTER, COMMA, SPACE] as const;
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly domains = signal<string[]>([]);

  protected readonly form = inject(FormBuilder).nonNullable.group({
    name: ['', [Validators.required, Validators.maxLength(80)]],
    allowedDomains: [[] as string[], [domainsValidator]],
  });

  protected readonly org = rxResource({ params: () => this.store.activeOrgId() ?? undefined, stream: () => this.api.getOrg() });

  constructor() {
    effect(() => {
      const org = this.org.hasValue() ? this.org.value() : undefined;
      if (org) untracked(() => this.reset(org));
    });
    // Editable once the current values are in, and only by those allowed to change them.
    effect(() => {
      const editable = this.store.canManage() && this.org.hasValue();
      untracked(() => (editable ? this.form.enable() : this.form.disable()));
    });
  }

  protected errorOf(name: 'name'): string | null {
    return controlError(this.form.controls[name]);
  }

  protected domainsError(): string | null {
    const control = this.form.controls.allowedDomains;
    if (typeof control.errors?.['domain'] === 'string') return control.errors['domain'];
    if (control.errors?.['tooMany']) return `At most ${MAX_DOMAINS} domains.`;
    return controlError(control);
  }

  protected addDomain(event: MatChipInputEvent): void {
    const value = event.value.trim().toLowerCase().replace(/^@/, '');
    event.chipInput.clear();
    if (!value || this.domains().includes(value)) return;
    this.setDomains([...this.domains(), value]);
  }

  protected removeDomain(domain: string): void {
    this.setDomains(this.domains().filter((d) => d !== domain));
  }

  async save(): Promise<void> {
    this.error.set(null);
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const { name, allowedDomains } = this.form.getRawValue();
    this.busy.set(true);
    try {
      const updated = await firstValueFrom(this.api.updateOrg({ name: name.trim(), allowedDomains }));
      this.store.patchOrg(updated);
      this.org.set(updated);
      this.snackBar.open('Settings saved', undefined, { duration: 2500 });
    } catch (err) {
      this.error.set(applyServerErrors(this.form, toApiError(err)));
    } finally {
      this.busy.set(false);
    }
  }

  private setDomains(domains: string[]): void {
    this.domains.set(domains);
    const control = this.form.controls.allowedDomains;
    control.setValue(domains);
    control.markAsDirty();
    control.markAsTouched();
  }

  private reset(org: Organization): void {
    this.domains.set([...org.allowedDomains]);
    this.form.reset({ name: org.name, allowedDomains: [...org.allowedDomains] });
  }
}
