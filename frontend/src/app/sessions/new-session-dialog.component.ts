import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { rxResource } from '@angular/core/rxjs-interop';
import { FormBuilder, ReactiveFormsModule, Validators, type AbstractControl, type ValidationErrors } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { MAT_DIALOG_DATA, MatDialog, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { MatRadioModule } from '@angular/material/radio';
import { MatSelectModule } from '@angular/material/select';
import type { Router } from '@angular/router';
import { firstValueFrom, map } from 'rxjs';
import { Api } from '../api/api.service';
import { toApiError } from '../api/api-error';
import type { CreateSessionBody, SessionType, SessionView } from '../api/types';
import { ErrorBanner } from '../shared/error-banner.component';
import { applyServerErrors, controlError } from '../shared/server-errors';

export interface NewSessionData {
  /** Preselects a configuration (from its page); null or absent starts from scratch. */
  configurationId?: string | null;
  sessionType?: SessionType;
}

/** A setup session prepares a configuration, so it needs one. */
function setupNeedsConfiguration(group: AbstractControl): ValidationErrors | null {
  const { sessionType, configurationId } = group.value as { sessionType: SessionType; configurationId: string };
  return sessionType === 'setup' && !configurationId ? { setupNeedsConfiguration: true } : null;
}

/** Starts a session: on a configuration or from scratch, coding or setup, with an optional first prompt. */
@Component({
  selector: 'app-new-session-dialog',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    ReactiveFormsModule,
    MatButtonModule,
    MatCheckboxModule,
    MatDialogModule,
    MatFormFieldModule,
    MatInputModule,
    MatProgressSpinnerModule,
    MatRadioModule,
    MatSelectModule,
    ErrorBanner,
  ],
  template: `
    <h2 mat-dialog-title>New session</h2>
    <form [formGroup]="form" (ngSubmit)="submit()" novalidate aria-label="New session" data-testid="new-session-form">
      <mat-dialog-content>
        <app-error-banner [error]="error()" />
        <app-error-banner [error]="configurations.error() ? 'Configurations could not be loaded; you can still start from scratch.' : null" />

        <mat-form-field>
          <mat-label>Configuration</mat-label>
          <mat-select formControlName="configurationId" data-testid="new-session-configuration">
            <mat-option value="" data-testid="new-session-configuration-option" data-id="">Scratch (no repositories)</mat-option>
            @for (c of configurationOptions(); track c.id) {
              <mat-option [value]="c.id" data-testid="new-session-configuration-option" [attr.data-id]="c.id">
                {{ c.name }} <span class="muted small">· {{ c.status }}</span>
              </mat-option>
            }
          </mat-select>
          @if (configurations.isLoading()) {
            <mat-hint>Loading configurations…</mat-hint>
          } @else {
            <mat-hint>The repositories, services and snapshot the sandbox starts from.</mat-hint>
          }
          <mat-error>{{ errorOf('configurationId') }}</mat-error>
        </mat-form-field>

        <div class="field-label" id="session-type-label">Kind of session</div>
        <mat-radio-group formControlName="sessionType" aria-labelledby="session-type-label" class="types" data-testid="new-session-type">
          <mat-radio-button value="coding" data-testid="new-session-type-coding">
            Coding <span class="muted small">— work on a task with the agent</span>
          </mat-radio-button>
          <mat-radio-button value="setup" data-testid="new-session-type-setup">
            Setup <span class="muted small">— install dependencies and save the configuration's snapshot</span>
          </mat-radio-button>
        </mat-radio-group>
        @if (form.hasError('setupNeedsConfiguration') && (form.touched || submitted())) {
          <p class="type-error" role="alert" data-testid="new-session-type-error">Pick a configuration for a setup session.</p>
        }

        <mat-form-field>
          <mat-label>Title (optional)</mat-label>
          <input matInput formControlName="title" data-testid="new-session-title" />
          <mat-error>{{ errorOf('title') }}</mat-error>
        </mat-form-field>

        <mat-form-field>
          <mat-label>First prompt (optional)</mat-label>
          <textarea matInput formControlName="initialPrompt" rows="4" data-testid="new-session-prompt"></textarea>
          <mat-hint>Sent to the agent as soon as the sandbox is up.</mat-hint>
          <mat-error>{{ errorOf('initialPrompt') }}</mat-error>
        </mat-form-field>

        <mat-checkbox formControlName="startNow" data-testid="new-session-start-now">Start the sandbox now</mat-checkbox>
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" mat-dialog-close>Cancel</button>
        <button mat-flat-button type="submit" [disabled]="busy()" data-testid="new-session-create">
          @if (busy()) {
            <mat-progress-spinner mode="indeterminate" diameter="18" aria-label="Creating session" />
          }
          Create session
        </button>
      </mat-dialog-actions>
    </form>
  `,
  styles: `
    .field-label {
      margin: 12px 0 4px;
      font: var(--mat-sys-label-large);
    }
    .types {
      display: flex;
      flex-direction: column;
      margin-bottom: 8px;
    }
    .type-error {
      margin: 0 0 12px;
      color: var(--mat-sys-error);
      font: var(--mat-sys-body-small);
    }
  `,
})
export class NewSessionDialog {
  private readonly api = inject(Api);
  private readonly ref = inject<MatDialogRef<NewSessionDialog, SessionView>>(MatDialogRef);
  private readonly data = inject<NewSessionData | null>(MAT_DIALOG_DATA, { optional: true }) ?? {};

  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly submitted = signal(false);

  protected readonly configurations = rxResource({ stream: () => this.api.listConfigurations({ limit: 100 }).pipe(map((r) => r.configurations)) });
  protected readonly configurationOptions = computed(() => (this.configurations.hasValue() ? this.configurations.value() : []));

  protected readonly form = inject(FormBuilder).nonNullable.group(
    {
      configurationId: [this.data.configurationId ?? ''],
      sessionType: [this.data.sessionType ?? ('coding' as SessionType)],
      title: ['', [Validators.maxLength(200)]],
      initialPrompt: ['', [Validators.maxLength(100_000)]],
      startNow: [true],
    },
    { validators: setupNeedsConfiguration },
  );

  protected errorOf(name: 'configurationId' | 'title' | 'initialPrompt'): string | null {
    return controlError(this.form.controls[name]);
  }

  async submit(): Promise<void> {
    this.error.set(null);
    this.submitted.set(true);
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const v = this.form.getRawValue();
    const body: CreateSessionBody = {
      sessionType: v.sessionType,
      sandboxMode: v.startNow ? 'immediate' : 'deferred',
      ...(v.configurationId ? { configurationId: v.configurationId } : {}),
      ...(v.title.trim() ? { title: v.title.trim() } : {}),
      ...(v.initialPrompt.trim() ? { initialPrompt: v.initialPrompt.trim() } : {}),
    };
    this.busy.set(true);
    try {
      this.ref.close(await firstValueFrom(this.api.createSession(body)));
    } catch (err) {
      this.error.set(applyServerErrors(this.form, toApiError(err)));
    } finally {
      this.busy.set(false);
    }
  }
}

/** Opens the new-session dialog and goes to the session it created. Shared by the pages that start sessions. */
export async function startSession(dialog: MatDialog, router: Router, data: NewSessionData = {}): Promise<void> {
  const ref = dialog.open<NewSessionDialog, NewSessionData, SessionView>(NewSessionDialog, { data, width: '560px' });
  const created = await firstValueFrom(ref.afterClosed());
  if (created) await router.navigate(['/sessions', created.id]);
}
