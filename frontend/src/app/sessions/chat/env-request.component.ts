import { ChangeDetectionStrategy, Component, computed, effect, inject, input, signal, untracked, viewChild } from '@angular/core';
import { FormControl, FormGroupDirective, FormRecord, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { MatSlideToggleModule } from '@angular/material/slide-toggle';
import { firstValueFrom } from 'rxjs';
import * as z from 'zod/mini';
import { Api } from '../../api/api.service';
import { toApiError } from '../../api/api-error';
import type { SubmitEnvReply } from '../../api/types';
import { SessionStore } from '../../core/session.store';
import { ErrorBanner } from '../../shared/error-banner.component';
import { Icon } from '../../shared/icon.component';
import type { ToolCall } from '../session-state';

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The arguments of `request_env_variables` as the agent gave them (outside data: parsed, and lenient). */
const Suggestion = z.object({ label: z.string(), value: z.optional(z.string()), instructions: z.optional(z.string()) });
const RequestedKey = z.object({
  key: z.string(),
  description: z.optional(z.string()),
  type: z.optional(z.string()),
  required: z.optional(z.boolean()),
  suggestions: z.optional(z.array(Suggestion)),
});
const RequestArgs = z.object({ keys: z.array(RequestedKey) });

export interface RequestedEnvKey {
  key: string;
  description: string | null;
  /** `secret` may be saved for future sessions; `env` is for this session only. */
  secret: boolean;
  required: boolean;
  suggestions: { label: string; value: string | null; instructions: string | null }[];
}

/** The platform tool, under whatever prefix the agent's MCP client gives it (`proliferate__…`, `mcp__proliferate__…`). */
export function isEnvRequest(tool: ToolCall): boolean {
  return /(^|[_.:])request_env_variables$/.test(tool.tool) && tool.status !== 'failed';
}

/** The keys asked for, valid names only, each once. */
export function requestedKeys(args: unknown): RequestedEnvKey[] {
  const parsed = RequestArgs.safeParse(args);
  if (!parsed.success) return [];
  const seen = new Set<string>();
  return parsed.data.keys
    .filter((k) => ENV_KEY.test(k.key) && k.key.length <= 200 && !seen.has(k.key) && seen.add(k.key))
    .slice(0, 50)
    .map((k) => ({
      key: k.key,
      description: k.description ?? null,
      secret: k.type !== 'env',
      required: k.required ?? true,
      suggestions: (k.suggestions ?? []).slice(0, 10).map((s) => ({ label: s.label, value: s.value ?? null, instructions: s.instructions ?? null })),
    }));
}

/**
 * The Environment form under a `request_env_variables` call: a password field per key the agent asked for, its
 * description and suggestions, and (for owners and admins) "save for future sessions". The values go to the running
 * sandbox only (its env files and the agent's env JSON file); the form forgets them once sent.
 */
@Component({
  selector: 'app-env-request',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [ReactiveFormsModule, MatButtonModule, MatFormFieldModule, MatInputModule, MatProgressSpinnerModule, MatSlideToggleModule, ErrorBanner, Icon],
  template: `
    @if (keys().length) {
      <section class="env-request" data-testid="env-request" [attr.aria-labelledby]="titleId()">
        <h3 class="title" [id]="titleId()"><app-icon name="lock" [size]="16" /> Environment</h3>
        <p class="muted small intro">
          The agent asked for these values. They go to this session's sandbox only and never appear in the conversation.
        </p>
        <form [formGroup]="form()" (ngSubmit)="submit()" novalidate aria-label="Environment values" data-testid="env-form">
          @for (k of keys(); track k.key) {
            <div class="env-key" data-testid="env-key" [attr.data-key]="k.key">
              <mat-form-field subscriptSizing="dynamic">
                <mat-label class="mono">{{ k.key }}{{ k.required ? '' : ' (optional)' }}</mat-label>
                <input matInput type="password" [formControlName]="k.key" autocomplete="new-password" spellcheck="false" [attr.data-testid]="'env-value-' + k.key" />
                @if (k.description) {
                  <mat-hint data-testid="env-description">{{ k.description }}</mat-hint>
                }
                <mat-error>Required.</mat-error>
              </mat-form-field>
              @if (k.suggestions.length) {
                <ul class="suggestions" aria-label="Suggestions">
                  @for (s of k.suggestions; track $index) {
                    <li data-testid="env-suggestion">
                      @if (s.value !== null) {
                        <button mat-stroked-button type="button" (click)="use(k.key, s.value)" [attr.aria-label]="'Use ' + s.label + ' for ' + k.key">{{ s.label }}</button>
                      } @else {
                        <strong>{{ s.label }}</strong>
                      }
                      @if (s.instructions) {
                        <span class="muted small">{{ s.instructions }}</span>
                      }
                    </li>
                  }
                </ul>
              }
              @if (canSave() && k.secret) {
                <mat-slide-toggle [checked]="!!persist()[k.key]" (change)="setPersist(k.key, $event.checked)" [attr.data-testid]="'env-save-' + k.key">
                  Save for future sessions
                </mat-slide-toggle>
              }
            </div>
          }
          <app-error-banner [error]="error()" />
          @if (result(); as r) {
            <p class="banner banner-info" role="status" data-testid="env-result">{{ summary(r) }}</p>
          }
          <div class="actions">
            <button mat-flat-button type="submit" [disabled]="busy()" data-testid="env-submit">
              @if (busy()) {
                <mat-progress-spinner mode="indeterminate" diameter="18" aria-label="Sending" />
              }
              {{ result() ? 'Send again' : 'Send to the sandbox' }}
            </button>
          </div>
        </form>
      </section>
    }
  `,
  styles: `
    .env-request {
      margin: 8px 0 12px;
      padding: 12px 16px;
      border: 1px solid var(--mat-sys-outline-variant);
      border-radius: 10px;
      background: var(--mat-sys-surface-container-low);
    }
    .title {
      display: flex;
      align-items: center;
      gap: 6px;
      margin: 0 0 4px;
      font: var(--mat-sys-title-small);
    }
    .intro {
      margin: 0 0 12px;
    }
    .env-key {
      display: flex;
      flex-direction: column;
      gap: 6px;
      margin-bottom: 14px;
    }
    .env-key mat-form-field {
      width: min(520px, 100%);
    }
    .suggestions {
      list-style: none;
      margin: 0;
      padding: 0;
      display: flex;
      flex-direction: column;
      gap: 4px;
    }
    .suggestions li {
      display: flex;
      gap: 8px;
      align-items: center;
      flex-wrap: wrap;
    }
    .actions {
      display: flex;
      justify-content: flex-end;
    }
  `,
})
export class EnvRequest {
  private readonly api = inject(Api);
  private readonly store = inject(SessionStore);

  readonly sessionId = input.required<string>();
  readonly tool = input.required<ToolCall>();

  // Compared by content: the tool call is a new object whenever its events change, the keys it asks for are not.
  protected readonly keys = computed(() => requestedKeys(this.tool().args), { equal: (a, b) => JSON.stringify(a) === JSON.stringify(b) });
  protected readonly titleId = computed(() => `env-title-${this.tool().toolCallId}`);
  /** Saving for future sessions makes an organisation secret: owners and admins only (the server checks too). */
  protected readonly canSave = computed(() => this.store.canManage());
  protected readonly form = computed(
    () =>
      new FormRecord<FormControl<string>>(
        Object.fromEntries(this.keys().map((k) => [k.key, new FormControl('', { nonNullable: true, validators: k.required ? [Validators.required] : [] })])),
      ),
  );
  private readonly formDirective = viewChild(FormGroupDirective);
  protected readonly persist = signal<Record<string, boolean>>({});
  protected readonly busy = signal(false);
  protected readonly error = signal<unknown>(null);
  protected readonly result = signal<SubmitEnvReply | null>(null);

  constructor() {
    // A new request (another tool call in this place) starts with nothing chosen.
    effect(() => {
      this.keys();
      untracked(() => {
        this.persist.set({});
        this.result.set(null);
        this.error.set(null);
      });
    });
  }

  protected use(key: string, value: string): void {
    const control = this.form().controls[key];
    control.setValue(value);
    control.markAsDirty();
  }

  protected setPersist(key: string, on: boolean): void {
    this.persist.update((p) => ({ ...p, [key]: on }));
  }

  protected summary(r: SubmitEnvReply): string {
    const parts = [`Sent ${r.results.map((x) => x.key).join(', ')} to the sandbox.`];
    const saved = r.results.filter((x) => x.persisted).map((x) => x.key);
    const existed = r.results.filter((x) => x.alreadyExisted).map((x) => x.key);
    if (saved.length) parts.push(`Saved for future sessions: ${saved.join(', ')}.`);
    if (existed.length) parts.push(`Already saved before (kept as it was): ${existed.join(', ')}.`);
    if (r.delivery.deferred) parts.push('The sandbox is saving a snapshot; the values are written when it is done.');
    if (r.delivery.missing.length) parts.push(`Env files still wait for: ${r.delivery.missing.join(', ')}.`);
    return parts.join(' ');
  }

  async submit(): Promise<void> {
    const form = this.form();
    this.error.set(null);
    if (form.invalid) {
      form.markAllAsTouched();
      return;
    }
    const values = form.getRawValue();
    const secrets = this.keys()
      .filter((k) => values[k.key] !== '')
      .map((k) => ({ key: k.key, value: values[k.key], ...(this.canSave() && k.secret && this.persist()[k.key] ? { persist: true } : {}) }));
    if (secrets.length === 0) {
      this.error.set('Enter at least one value.');
      return;
    }
    this.busy.set(true);
    try {
      const reply = await firstValueFrom(this.api.submitEnv(this.sessionId(), { secrets }));
      // Sent: the page keeps no value, and the emptied fields are not errors (resetForm clears "submitted" too).
      const directive = this.formDirective();
      if (directive) directive.resetForm();
      else form.reset();
      this.result.set(reply);
    } catch (err) {
      this.error.set(toApiError(err));
    } finally {
      this.busy.set(false);
    }
  }
}
