import { ChangeDetectionStrategy, Component, computed, effect, inject, input, signal, untracked } from '@angular/core';
import { rxResource } from '@angular/core/rxjs-interop';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { MatSelectModule } from '@angular/material/select';
import { MatSnackBar } from '@angular/material/snack-bar';
import { Title } from '@angular/platform-browser';
import { Router, RouterLink } from '@angular/router';
import { firstValueFrom } from 'rxjs';
import { Api } from '../api/api.service';
import { toApiError } from '../api/api-error';
import type { Configuration, EnvFileSpec, ServiceCommand, SessionType, UpdateConfigurationBody } from '../api/types';
import { startSession } from '../sessions/new-session-dialog.component';
import { ConfirmDialog, type ConfirmData } from '../shared/confirm-dialog.component';
import { ErrorBanner } from '../shared/error-banner.component';
import { Icon } from '../shared/icon.component';
import { CONFIGURATION_STATUS_HINTS, CONFIGURATION_STATUS_LABELS } from './configuration-labels';

/** How often a building configuration is read again. */
export const BUILD_POLL_MS = 3_000;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SERVICE_NAME = /^[\w.-]+$/;
/** Relative to the repository, never climbing out of it. */
const relativeOk = (p: string) => !p.startsWith('/') && !p.split('/').includes('..');

type Section = 'settings' | 'services' | 'envFiles' | 'build' | 'delete';

interface ServiceRow {
  name: string;
  command: string;
  cwd: string;
  workspacePath: string;
}

interface EnvRow {
  path: string;
  workspacePath: string;
  keys: { key: string; required: boolean }[];
}

function toServiceRows(commands: ServiceCommand[]): ServiceRow[] {
  return commands.map((c) => ({ name: c.name, command: c.command, cwd: c.cwd ?? '', workspacePath: c.workspacePath ?? '' }));
}

function fromServiceRows(rows: ServiceRow[]): ServiceCommand[] {
  return rows.map((r) => ({
    name: r.name.trim(),
    command: r.command.trim(),
    ...(r.cwd.trim() ? { cwd: r.cwd.trim() } : {}),
    ...(r.workspacePath ? { workspacePath: r.workspacePath } : {}),
  }));
}

function toEnvRows(files: EnvFileSpec[]): EnvRow[] {
  return files.map((f) => ({ path: f.path, workspacePath: f.workspacePath, keys: f.keys.map((k) => ({ ...k })) }));
}

function fromEnvRows(rows: EnvRow[]): EnvFileSpec[] {
  return rows.map((r) => ({
    path: r.path.trim(),
    workspacePath: r.workspacePath || '.',
    format: 'dotenv',
    mode: 'secret',
    keys: r.keys.filter((k) => k.key.trim()).map((k) => ({ key: k.key.trim(), required: k.required })),
  }));
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * One configuration: its repos, the commands that start its services, the env files written into the sandbox (their
 * keys, not their values), the agent to run, and its snapshot, which can be rebuilt. Sessions start from here.
 */
@Component({
  selector: 'app-configuration-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    FormsModule,
    RouterLink,
    MatButtonModule,
    MatCardModule,
    MatCheckboxModule,
    MatFormFieldModule,
    MatInputModule,
    MatProgressBarModule,
    MatProgressSpinnerModule,
    MatSelectModule,
    ErrorBanner,
    Icon,
  ],
  template: `
    <div class="page">
      <header class="page-header">
        <div class="heading">
          <a mat-button routerLink="/configurations" class="back" data-testid="configuration-back"><app-icon name="back" [size]="18" /> Configurations</a>
          <h1 data-testid="page-heading">{{ config()?.name ?? 'Configuration' }}</h1>
          @if (config(); as c) {
            <p class="status-line">
              <span class="status-chip" [attr.data-status]="c.status" data-testid="configuration-status">{{ labels[c.status] ?? c.status }}</span>
              <span class="muted small">{{ hints[c.status] }}</span>
            </p>
          }
        </div>
        @if (config(); as c) {
          <div class="header-actions">
            <button mat-stroked-button type="button" (click)="build()" [disabled]="busy() === 'build' || c.status === 'building'" data-testid="configuration-build">
              @if (busy() === 'build' || c.status === 'building') {
                <mat-progress-spinner mode="indeterminate" diameter="16" aria-label="Building" />
              } @else {
                <app-icon name="camera" [size]="16" />
              }
              Build snapshot
            </button>
            <button mat-stroked-button type="button" (click)="start('setup')" data-testid="configuration-start-setup">
              <app-icon name="settings" [size]="16" /> Setup session
            </button>
            <button mat-flat-button type="button" (click)="start('coding')" data-testid="configuration-start-coding">
              <app-icon name="play" [size]="16" /> Coding session
            </button>
            <button mat-button type="button" class="danger-text" (click)="remove()" [disabled]="busy() === 'delete'" data-testid="configuration-delete">
              <app-icon name="trash" [size]="16" /> Delete
            </button>
          </div>
        }
      </header>

      @if (resource.isLoading() && !config()) {
        <mat-progress-bar mode="indeterminate" aria-label="Loading configuration" />
      }
      @if (resource.error()) {
        <app-error-banner [error]="resource.error()" retryLabel="Retry" (retry)="resource.reload()" />
      }
      @if (config()?.status === 'failed' && config()?.error) {
        <div class="banner banner-error" role="alert" data-testid="configuration-error">
          <app-icon name="warning" /><span class="banner-text">{{ config()?.error }}</span>
        </div>
      }
      @if (saveError()) {
        <app-error-banner [error]="saveError()" />
      }

      @if (config(); as c) {
        <mat-card appearance="outlined" class="section-card">
          <mat-card-header><mat-card-title><h2>Repositories</h2></mat-card-title></mat-card-header>
          <mat-card-content>
            <ul class="repos" data-testid="configuration-repos">
              @for (r of c.repos; track r.repoId) {
                <li><app-icon name="repo" [size]="16" /> <strong>{{ r.name }}</strong> <span class="muted mono small">in {{ r.workspacePath }}</span></li>
              } @empty {
                <li class="muted">No repositories.</li>
              }
            </ul>
          </mat-card-content>
        </mat-card>

        <mat-card appearance="outlined" class="section-card">
          <mat-card-header><mat-card-title><h2>Settings</h2></mat-card-title></mat-card-header>
          <mat-card-content>
            <form (ngSubmit)="saveSettings()" aria-label="Settings">
              <mat-form-field>
                <mat-label>Name</mat-label>
                <input matInput name="name" [(ngModel)]="name" maxlength="200" data-testid="configuration-edit-name" />
              </mat-form-field>
              <mat-form-field>
                <mat-label>Notes</mat-label>
                <textarea matInput name="notes" rows="2" [(ngModel)]="notes" data-testid="configuration-notes"></textarea>
              </mat-form-field>
              <mat-form-field>
                <mat-label>Agent command (optional)</mat-label>
                <input matInput name="agent" class="mono" [(ngModel)]="agentCommand" spellcheck="false" data-testid="configuration-agent-command" />
                <mat-hint>An ACP agent to run instead of the built-in one, e.g. <code>npx &#64;zed-industries/claude-code-acp</code>.</mat-hint>
              </mat-form-field>
              <div class="save-row">
                <button mat-flat-button type="submit" [disabled]="!settingsDirty() || !name().trim() || busy() === 'settings'" data-testid="configuration-save-settings">
                  @if (busy() === 'settings') {
                    <mat-progress-spinner mode="indeterminate" diameter="16" aria-label="Saving" />
                  }
                  Save settings
                </button>
              </div>
            </form>
          </mat-card-content>
        </mat-card>

        <mat-card appearance="outlined" class="section-card">
          <mat-card-header>
            <mat-card-title><h2>Services</h2></mat-card-title>
            <mat-card-subtitle>Long-running commands (dev servers, databases) started in every new sandbox once setup is done.</mat-card-subtitle>
          </mat-card-header>
          <mat-card-content>
            <div class="editor" role="table" aria-label="Service commands" data-testid="services-editor">
              @if (services().length) {
                <div class="editor-row head" [class.multi]="multiRepo()" role="row">
                  <span role="columnheader">Name</span><span role="columnheader">Command</span><span role="columnheader">Directory</span>
                  @if (multiRepo()) {
                    <span role="columnheader">Repository</span>
                  }
                  <span role="columnheader"><span class="cdk-visually-hidden">Remove</span></span>
                </div>
              }
              @for (row of services(); track $index; let i = $index) {
                <div class="editor-row" [class.multi]="multiRepo()" role="row" data-testid="service-row">
                  <input class="cell" [ngModel]="row.name" (ngModelChange)="editService(i, 'name', $event)" [attr.aria-label]="'Name of service ' + (i + 1)" placeholder="web" data-testid="service-name" />
                  <input
                    class="cell mono"
                    [ngModel]="row.command"
                    (ngModelChange)="editService(i, 'command', $event)"
                    [attr.aria-label]="'Command of service ' + (i + 1)"
                    placeholder="npm run dev"
                    spellcheck="false"
                    data-testid="service-command"
                  />
                  <input class="cell mono" [ngModel]="row.cwd" (ngModelChange)="editService(i, 'cwd', $event)" [attr.aria-label]="'Directory of service ' + (i + 1)" placeholder="." data-testid="service-cwd" />
                  @if (multiRepo()) {
                    <select class="cell" [ngModel]="row.workspacePath" (ngModelChange)="editService(i, 'workspacePath', $event)" [attr.aria-label]="'Repository of service ' + (i + 1)">
                      <option value="">(workspace)</option>
                      @for (w of workspaces(); track w) {
                        <option [value]="w">{{ w }}</option>
                      }
                    </select>
                  }
                  <button mat-icon-button type="button" (click)="removeService(i)" [attr.aria-label]="'Remove service ' + (i + 1)" data-testid="service-remove">
                    <app-icon name="trash" [size]="18" />
                  </button>
                </div>
              } @empty {
                <p class="muted small">No services. The agent can also save them with its <code>save_service_commands</code> tool.</p>
              }
            </div>
            @if (servicesProblem(); as problem) {
              <p class="field-error" role="alert">{{ problem }}</p>
            }
            <div class="save-row">
              <button mat-button type="button" (click)="addService()" data-testid="service-add"><app-icon name="plus" [size]="16" /> Add service</button>
              <span class="spacer"></span>
              <button mat-flat-button type="button" (click)="saveServices()" [disabled]="!servicesDirty() || !!servicesProblem() || busy() === 'services'" data-testid="services-save">
                @if (busy() === 'services') {
                  <mat-progress-spinner mode="indeterminate" diameter="16" aria-label="Saving" />
                }
                Save services
              </button>
            </div>
          </mat-card-content>
        </mat-card>

        <mat-card appearance="outlined" class="section-card">
          <mat-card-header>
            <mat-card-title><h2>Env files</h2></mat-card-title>
            <mat-card-subtitle>Files of secrets written into the sandbox at start. Only the keys are kept here; values come from secrets.</mat-card-subtitle>
          </mat-card-header>
          <mat-card-content>
            @for (file of envFiles(); track $index; let f = $index) {
              <fieldset class="env-file" data-testid="env-file">
                <legend class="cdk-visually-hidden">Env file {{ f + 1 }}</legend>
                <div class="env-head">
                  <mat-form-field class="grow">
                    <mat-label>Path</mat-label>
                    <input matInput class="mono" [name]="'env-path-' + f" [ngModel]="file.path" (ngModelChange)="editEnv(f, { path: $event })" placeholder=".env.local" data-testid="env-file-path" />
                  </mat-form-field>
                  @if (multiRepo()) {
                    <mat-form-field class="repo-pick">
                      <mat-label>Repository</mat-label>
                      <mat-select [value]="file.workspacePath" (selectionChange)="editEnv(f, { workspacePath: $event.value })">
                        @for (w of workspaces(); track w) {
                          <mat-option [value]="w">{{ w }}</mat-option>
                        }
                      </mat-select>
                    </mat-form-field>
                  }
                  <button mat-icon-button type="button" (click)="removeEnv(f)" [attr.aria-label]="'Remove env file ' + (f + 1)" data-testid="env-file-remove">
                    <app-icon name="trash" [size]="18" />
                  </button>
                </div>
                @for (k of file.keys; track $index; let i = $index) {
                  <div class="env-key" data-testid="env-key">
                    <input
                      class="cell mono"
                      [ngModel]="k.key"
                      (ngModelChange)="editKey(f, i, { key: $event })"
                      [attr.aria-label]="'Key ' + (i + 1)"
                      placeholder="DATABASE_URL"
                      spellcheck="false"
                      data-testid="env-key-name"
                    />
                    <mat-checkbox [checked]="k.required" (change)="editKey(f, i, { required: $event.checked })" data-testid="env-key-required">Required</mat-checkbox>
                    <button mat-icon-button type="button" (click)="removeKey(f, i)" [attr.aria-label]="'Remove key ' + (i + 1)"><app-icon name="close" [size]="16" /></button>
                  </div>
                }
                <button mat-button type="button" (click)="addKey(f)" data-testid="env-key-add"><app-icon name="plus" [size]="16" /> Add key</button>
              </fieldset>
            } @empty {
              <p class="muted small">No env files.</p>
            }
            @if (envProblem(); as problem) {
              <p class="field-error" role="alert">{{ problem }}</p>
            }
            <div class="save-row">
              <button mat-button type="button" (click)="addEnv()" data-testid="env-file-add"><app-icon name="plus" [size]="16" /> Add env file</button>
              <span class="spacer"></span>
              <button mat-flat-button type="button" (click)="saveEnv()" [disabled]="!envDirty() || !!envProblem() || busy() === 'envFiles'" data-testid="env-files-save">
                @if (busy() === 'envFiles') {
                  <mat-progress-spinner mode="indeterminate" diameter="16" aria-label="Saving" />
                }
                Save env files
              </button>
            </div>
          </mat-card-content>
        </mat-card>
      }
    </div>
  `,
  styles: `
    .back {
      margin-left: -12px;
    }
    .status-line,
    .header-actions,
    .save-row,
    .env-head,
    .env-key {
      display: flex;
      align-items: center;
      gap: 8px;
      flex-wrap: wrap;
    }
    .repos {
      list-style: none;
      margin: 0;
      padding: 0;
      display: flex;
      flex-direction: column;
      gap: 6px;
    }
    .editor-row {
      display: grid;
      grid-template-columns: minmax(100px, 1fr) minmax(200px, 2.5fr) minmax(80px, 1fr) 40px;
      gap: 8px;
      align-items: center;
      margin-bottom: 6px;
    }
    .editor-row.multi {
      grid-template-columns: minmax(100px, 1fr) minmax(200px, 2.5fr) minmax(80px, 1fr) minmax(100px, 1fr) 40px;
    }
    .editor-row.head {
      font: var(--mat-sys-label-medium);
      color: var(--mat-sys-on-surface-variant);
    }
    .cell {
      box-sizing: border-box;
      width: 100%;
      padding: 8px 10px;
      border: 1px solid var(--mat-sys-outline-variant);
      border-radius: 6px;
      background: var(--mat-sys-surface);
      color: inherit;
      font: inherit;
    }
    .cell:focus {
      outline: 2px solid var(--mat-sys-primary);
      border-color: transparent;
    }
    .env-file {
      margin: 0 0 12px;
      padding: 8px 12px;
      border: 1px solid var(--mat-sys-outline-variant);
      border-radius: 8px;
    }
    .grow {
      flex: 1;
    }
    .repo-pick {
      width: 180px;
    }
    .env-key .cell {
      width: 260px;
    }
    .field-error {
      color: var(--mat-sys-error);
      font: var(--mat-sys-body-small);
    }
  `,
})
export class ConfigurationPage {
  /** The `:id` route parameter. */
  readonly id = input.required<string>();

  private readonly api = inject(Api);
  private readonly dialog = inject(MatDialog);
  private readonly router = inject(Router);
  private readonly snackBar = inject(MatSnackBar);
  private readonly pageTitle = inject(Title);

  protected readonly labels: Record<string, string> = CONFIGURATION_STATUS_LABELS;
  protected readonly hints: Record<string, string> = CONFIGURATION_STATUS_HINTS;

  protected readonly resource = rxResource({ params: () => this.id(), stream: ({ params }) => this.api.getConfiguration(params) });
  protected readonly config = computed<Configuration | null>(() => (this.resource.hasValue() ? this.resource.value() : null));
  protected readonly workspaces = computed(() => this.config()?.repos.map((r) => r.workspacePath) ?? []);
  protected readonly multiRepo = computed(() => this.workspaces().length > 1);

  protected readonly busy = signal<Section | null>(null);
  protected readonly saveError = signal<string | null>(null);

  // Editable copies, reset whenever a new copy arrives from the server.
  protected readonly name = signal('');
  protected readonly notes = signal('');
  protected readonly agentCommand = signal('');
  protected readonly services = signal<ServiceRow[]>([]);
  protected readonly envFiles = signal<EnvRow[]>([]);

  /** The server's copy the editable copies were taken from: an edit is what differs from it. */
  private readonly base = signal<Configuration | null>(null);
  protected readonly settingsDirty = computed(() => {
    const c = this.base();
    return !!c && (this.name().trim() !== c.name || this.notes().trim() !== (c.notes ?? '') || this.agentCommand().trim() !== (c.agentCommand ?? ''));
  });
  protected readonly servicesDirty = computed(() => !sameJson(fromServiceRows(this.services()), fromServiceRows(toServiceRows(this.base()?.serviceCommands ?? []))));
  protected readonly envDirty = computed(() => !sameJson(fromEnvRows(this.envFiles()), fromEnvRows(toEnvRows(this.base()?.envFiles ?? []))));

  protected readonly servicesProblem = computed(() => {
    const rows = this.services();
    if (rows.some((r) => !r.name.trim() || !r.command.trim())) return 'Every service needs a name and a command.';
    const names = rows.map((r) => r.name.trim());
    if (names.some((n) => !SERVICE_NAME.test(n))) return 'Service names are letters, digits, dots, dashes and underscores.';
    if (new Set(names).size !== names.length) return 'Service names must be different.';
    if (rows.some((r) => r.cwd.trim() && !relativeOk(r.cwd.trim()))) return 'Directories are relative to the repository, without "..".';
    if (rows.length > 20) return 'At most 20 services.';
    return null;
  });
  protected readonly envProblem = computed(() => {
    const rows = this.envFiles();
    if (rows.some((r) => !r.path.trim())) return 'Every env file needs a path.';
    if (rows.some((r) => !relativeOk(r.path.trim()))) return 'Env file paths are relative to the repository, without "..".';
    if (rows.some((r) => !r.keys.some((k) => k.key.trim()))) return 'Every env file needs at least one key.';
    const keys = rows.flatMap((r) => r.keys.map((k) => k.key.trim()).filter(Boolean));
    if (keys.some((k) => !ENV_KEY.test(k))) return 'Keys are letters, digits and underscores, and do not start with a digit.';
    return null;
  });

  constructor() {
    effect(() => {
      const c = this.config();
      if (!c) return;
      untracked(() => this.resetFrom(c));
      this.pageTitle.setTitle(`${c.name} · Proliferate`);
    });
    // While the snapshot builds, read the configuration again now and then.
    effect((onCleanup) => {
      if (this.config()?.status !== 'building') return;
      const timer = setTimeout(() => this.resource.reload(), BUILD_POLL_MS);
      onCleanup(() => clearTimeout(timer));
    });
  }

  /** Takes a new server copy: sections nobody is editing follow it, edits in progress are kept (a status poll). */
  private resetFrom(c: Configuration): void {
    const first = this.base()?.id !== c.id;
    if (first || !this.settingsDirty()) {
      this.name.set(c.name);
      this.notes.set(c.notes ?? '');
      this.agentCommand.set(c.agentCommand ?? '');
    }
    if (first || !this.servicesDirty()) this.services.set(toServiceRows(c.serviceCommands));
    if (first || !this.envDirty()) this.envFiles.set(toEnvRows(c.envFiles));
    this.base.set(c);
  }

  // ---- services ----
  protected addService(): void {
    this.services.update((rows) => [...rows, { name: '', command: '', cwd: '', workspacePath: '' }]);
  }

  protected removeService(index: number): void {
    this.services.update((rows) => rows.filter((_, i) => i !== index));
  }

  protected editService(index: number, field: keyof ServiceRow, value: string): void {
    this.services.update((rows) => rows.map((r, i) => (i === index ? { ...r, [field]: value } : r)));
  }

  // ---- env files ----
  protected addEnv(): void {
    this.envFiles.update((rows) => [...rows, { path: '.env', workspacePath: this.workspaces()[0] ?? '.', keys: [{ key: '', required: true }] }]);
  }

  protected removeEnv(index: number): void {
    this.envFiles.update((rows) => rows.filter((_, i) => i !== index));
  }

  protected editEnv(index: number, change: Partial<EnvRow>): void {
    this.envFiles.update((rows) => rows.map((r, i) => (i === index ? { ...r, ...change } : r)));
  }

  protected addKey(file: number): void {
    this.envFiles.update((rows) => rows.map((r, i) => (i === file ? { ...r, keys: [...r.keys, { key: '', required: true }] } : r)));
  }

  protected removeKey(file: number, key: number): void {
    this.envFiles.update((rows) => rows.map((r, i) => (i === file ? { ...r, keys: r.keys.filter((_, k) => k !== key) } : r)));
  }

  protected editKey(file: number, key: number, change: Partial<EnvRow['keys'][number]>): void {
    this.envFiles.update((rows) => rows.map((r, i) => (i === file ? { ...r, keys: r.keys.map((k, j) => (j === key ? { ...k, ...change } : k)) } : r)));
  }

  // ---- saving ----
  protected saveSettings(): Promise<void> {
    const notes = this.notes().trim();
    const agent = this.agentCommand().trim();
    return this.save('settings', { name: this.name().trim(), notes: notes || null, agentCommand: agent || null }, 'Settings saved');
  }

  protected saveServices(): Promise<void> {
    return this.save('services', { serviceCommands: fromServiceRows(this.services()) }, 'Services saved');
  }

  protected saveEnv(): Promise<void> {
    return this.save('envFiles', { envFiles: fromEnvRows(this.envFiles()) }, 'Env files saved');
  }

  protected async build(): Promise<void> {
    this.saveError.set(null);
    this.busy.set('build');
    try {
      const reply = await firstValueFrom(this.api.buildConfiguration(this.id()));
      this.resource.set(reply.configuration);
      this.snackBar.open(reply.started ? 'Building the snapshot…' : 'A build is already running.', undefined, { duration: 3000 });
    } catch (err) {
      this.saveError.set(toApiError(err).message);
    } finally {
      this.busy.set(null);
    }
  }

  protected async remove(): Promise<void> {
    const data: ConfirmData = {
      title: 'Delete configuration',
      message: `Delete ${this.config()?.name ?? 'this configuration'}? Sessions that use it keep running without one; its repositories stay.`,
      confirm: 'Delete',
      danger: true,
    };
    if ((await firstValueFrom(this.dialog.open(ConfirmDialog, { data, width: '420px' }).afterClosed())) !== true) return;
    this.busy.set('delete');
    try {
      await firstValueFrom(this.api.deleteConfiguration(this.id()));
      this.snackBar.open('Configuration deleted', undefined, { duration: 3000 });
      await this.router.navigateByUrl('/configurations');
    } catch (err) {
      this.saveError.set(toApiError(err).message);
    } finally {
      this.busy.set(null);
    }
  }

  protected async start(sessionType: SessionType): Promise<void> {
    await startSession(this.dialog, this.router, { configurationId: this.id(), sessionType });
  }

  private async save(section: Section, body: UpdateConfigurationBody, done: string): Promise<void> {
    this.saveError.set(null);
    this.busy.set(section);
    try {
      const updated = await firstValueFrom(this.api.updateConfiguration(this.id(), body));
      this.resource.set(updated);
      this.snackBar.open(done, undefined, { duration: 2500 });
    } catch (err) {
      const e = toApiError(err);
      this.saveError.set(e.fields.length ? e.fields.map((f) => `${f.field}: ${f.message}`).join(' ') : e.message);
    } finally {
      this.busy.set(null);
    }
  }
}
