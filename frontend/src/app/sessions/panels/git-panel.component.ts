import { ChangeDetectionStrategy, Component, computed, effect, input, signal, untracked } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { MatSelectModule } from '@angular/material/select';
import type { GitAction, GitFileChange } from '../../api/session-events';
import { Icon } from '../../shared/icon.component';
import { gitCodeMessage } from '../session-labels';
import type { SessionChannel } from '../session-live.service';

const PENDING_TEXT: Record<GitAction['action'], string> = {
  status: 'Reading the repository…',
  create_branch: 'Creating the branch…',
  commit: 'Committing…',
  push: 'Pushing…',
  create_pr: 'Opening a pull request…',
};

const BRANCH_NAME = /^(?!-)[\w./-]+$/;

/**
 * The repository in the sandbox: branch, changes, recent commits, and the actions that turn the agent's work into a
 * pull request. Every action is pending until the sandbox answers (a `git_result` always comes, success or not).
 */
@Component({
  selector: 'app-git-panel',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    FormsModule,
    MatButtonModule,
    MatCheckboxModule,
    MatFormFieldModule,
    MatInputModule,
    MatProgressBarModule,
    MatProgressSpinnerModule,
    MatSelectModule,
    Icon,
  ],
  template: `
    <div class="git" data-testid="git-panel">
      @if (!running()) {
        <p class="muted" data-testid="git-unavailable">Git is available while the session's sandbox is running.</p>
      } @else {
        <div class="git-head">
          <app-icon name="branch" [size]="18" />
          <strong class="branch mono" data-testid="git-branch">{{ state()?.branch ?? (state()?.detached ? 'detached HEAD' : '…') }}</strong>
          @if (state(); as g) {
            @if (g.ahead) {
              <span class="badge" data-testid="git-ahead" title="Commits to push">↑{{ g.ahead }}</span>
            }
            @if (g.behind) {
              <span class="badge" data-testid="git-behind" title="Commits to pull">↓{{ g.behind }}</span>
            }
            @if (g.busy) {
              <span class="badge warn">busy</span>
            }
          }
          <span class="spacer"></span>
          @if (workspaces().length > 1) {
            <mat-select class="workspace" [value]="workspace()" (selectionChange)="pickWorkspace($event.value)" aria-label="Repository" data-testid="git-workspace">
              @for (w of workspaces(); track w) {
                <mat-option [value]="w">{{ w }}</mat-option>
              }
            </mat-select>
          }
          <button mat-icon-button type="button" (click)="refresh()" [disabled]="!!pending()" aria-label="Refresh git status" data-testid="git-refresh">
            <app-icon name="refresh" [size]="18" />
          </button>
        </div>

        @if (pending(); as p) {
          <div class="banner banner-info" role="status" data-testid="git-pending" [attr.data-action]="p.action">
            <mat-progress-spinner mode="indeterminate" diameter="16" aria-hidden="true" />
            <span class="banner-text">{{ pendingText[p.action] }}</span>
          </div>
        }
        @if (channel().gitError(); as problem) {
          <div class="banner banner-error" role="alert" data-testid="git-error"><span class="banner-text">{{ problem }}</span></div>
        }
        @if (result(); as r) {
          <div class="banner" [class.banner-ok]="r.success" [class.banner-error]="!r.success" role="status" data-testid="git-result" [attr.data-code]="r.code" [attr.data-success]="r.success">
            <app-icon [name]="r.success ? 'check' : 'warning'" />
            <span class="banner-text">
              {{ r.success ? r.message || 'Done.' : friendly(r.code, r.message) }}
              @if (r.prUrl) {
                <a [href]="r.prUrl" target="_blank" rel="noopener noreferrer" data-testid="git-pr-link">{{ r.prUrl }}</a>
              }
            </span>
          </div>
        }

        @if (state(); as g) {
          <section class="changes" aria-label="Changes">
            @for (group of groups(); track group.id) {
              @if (group.files.length) {
                <h3 class="group-title">{{ group.label }} <span class="muted">({{ group.files.length }})</span></h3>
                <ul class="files" [attr.data-testid]="'git-' + group.id">
                  @for (f of group.files; track f.path) {
                    <li><span class="code mono">{{ f.code }}</span><span class="mono path">{{ f.path }}</span></li>
                  }
                </ul>
              }
            }
            @if (clean()) {
              <p class="muted small" data-testid="git-clean">No changes.</p>
            }
          </section>
          @if (g.commits.length) {
            <h3 class="group-title">Recent commits</h3>
            <ul class="files commits" data-testid="git-commits">
              @for (c of g.commits.slice(0, 5); track c.sha) {
                <li><span class="code mono">{{ c.sha.slice(0, 7) }}</span><span class="path">{{ c.message }}</span></li>
              }
            </ul>
          }
        } @else if (!pending()) {
          <p class="muted small">No status yet.</p>
        }

        @if (!canMutate()) {
          <p class="muted small" data-testid="git-read-only">Only the person who started this session can change its repositories.</p>
        } @else {
          <form class="action" (ngSubmit)="createBranch()" aria-label="Create branch">
            <h3 class="group-title">Branch</h3>
            <div class="row">
              <mat-form-field class="grow">
                <mat-label>New branch name</mat-label>
                <input matInput name="branch" [(ngModel)]="branchName" [disabled]="!!pending()" data-testid="git-branch-name" />
              </mat-form-field>
              <button mat-stroked-button type="submit" [disabled]="!!pending() || !branchOk()" data-testid="git-create-branch">Create</button>
            </div>
          </form>

          <form class="action" (ngSubmit)="commit()" aria-label="Commit">
            <h3 class="group-title">Commit</h3>
            <mat-form-field>
              <mat-label>Commit message</mat-label>
              <textarea matInput name="message" rows="2" [(ngModel)]="commitMessage" [disabled]="!!pending()" data-testid="git-commit-message"></textarea>
            </mat-form-field>
            <div class="row">
              <mat-checkbox name="untracked" [(ngModel)]="includeUntracked" [disabled]="!!pending()" data-testid="git-include-untracked">
                Include untracked files
              </mat-checkbox>
              <span class="spacer"></span>
              <button mat-stroked-button type="submit" [disabled]="!!pending() || !commitMessage().trim()" data-testid="git-commit">Commit</button>
              <button mat-stroked-button type="button" (click)="push()" [disabled]="!!pending()" data-testid="git-push">Push</button>
            </div>
          </form>

          <form class="action" (ngSubmit)="createPr()" aria-label="Create pull request">
            <h3 class="group-title">Pull request</h3>
            <mat-form-field>
              <mat-label>Title</mat-label>
              <input matInput name="prTitle" [(ngModel)]="prTitle" [disabled]="!!pending()" data-testid="git-pr-title" />
            </mat-form-field>
            <mat-form-field>
              <mat-label>Description (optional)</mat-label>
              <textarea matInput name="prBody" rows="3" [(ngModel)]="prBody" [disabled]="!!pending()" data-testid="git-pr-body"></textarea>
            </mat-form-field>
            <div class="row">
              <mat-form-field class="grow">
                <mat-label>Base branch (optional)</mat-label>
                <input matInput name="prBase" [(ngModel)]="prBase" [disabled]="!!pending()" data-testid="git-pr-base" />
              </mat-form-field>
              <button mat-flat-button type="submit" [disabled]="!!pending() || !prTitle().trim()" data-testid="git-create-pr">
                <app-icon name="pr" [size]="16" /> Create PR
              </button>
            </div>
          </form>
        }
      }
    </div>
  `,
  styles: `
    .git {
      display: flex;
      flex-direction: column;
      gap: 8px;
    }
    .git-head,
    .row {
      display: flex;
      align-items: center;
      gap: 8px;
      flex-wrap: wrap;
    }
    .grow {
      flex: 1;
    }
    .badge {
      padding: 0 8px;
      border-radius: 999px;
      background: var(--mat-sys-surface-container-high);
      font: var(--mat-sys-label-medium);
    }
    .badge.warn {
      background: var(--mat-sys-tertiary-container);
    }
    .workspace {
      width: 140px;
    }
    .group-title {
      margin: 8px 0 4px;
      font: var(--mat-sys-title-small);
    }
    .files {
      list-style: none;
      margin: 0;
      padding: 0;
      font-size: 12px;
    }
    .files li {
      display: flex;
      gap: 8px;
      padding: 2px 0;
    }
    .code {
      min-width: 3em;
      color: var(--mat-sys-on-surface-variant);
    }
    .path {
      overflow-wrap: anywhere;
    }
    .action {
      border-top: 1px solid var(--mat-sys-outline-variant);
      padding-top: 4px;
    }
  `,
})
export class GitPanel {
  readonly channel = input.required<SessionChannel>();
  readonly running = input(false);
  readonly canMutate = input(false);
  /** The repositories' folders in the sandbox (several for a multi-repo configuration). */
  readonly workspaces = input<string[]>([]);

  protected readonly pendingText = PENDING_TEXT;
  protected readonly branchName = signal('');
  protected readonly commitMessage = signal('');
  protected readonly includeUntracked = signal(false);
  protected readonly prTitle = signal('');
  protected readonly prBody = signal('');
  protected readonly prBase = signal('');
  private readonly chosenWorkspace = signal<string | null>(null);
  /** The last action this panel sent, to show its answer. */
  private readonly lastRequest = signal<string | null>(null);

  protected readonly state = computed(() => this.channel().git());
  protected readonly pending = computed(() => this.channel().gitPending());
  protected readonly workspace = computed(() => this.chosenWorkspace() ?? this.workspaces()[0] ?? null);
  protected readonly branchOk = computed(() => BRANCH_NAME.test(this.branchName().trim()));
  protected readonly result = computed(() => {
    const id = this.lastRequest();
    return id ? (this.channel().view().gitResults[id] ?? null) : null;
  });
  protected readonly groups = computed(() => {
    const g = this.state();
    if (!g) return [];
    const code = (f: GitFileChange, side: 'index' | 'worktree') => (side === 'index' ? f.indexStatus : f.worktreeStatus);
    return [
      { id: 'conflicted', label: 'Conflicts', files: g.conflicted.map((path) => ({ path, code: 'U' })) },
      { id: 'staged', label: 'Staged', files: g.staged.map((f) => ({ path: f.path, code: code(f, 'index') })) },
      { id: 'unstaged', label: 'Not staged', files: g.unstaged.map((f) => ({ path: f.path, code: code(f, 'worktree') })) },
      { id: 'untracked', label: 'Untracked', files: g.untracked.map((path) => ({ path, code: '?' })) },
    ];
  });
  protected readonly clean = computed(() => this.groups().every((g) => g.files.length === 0));

  constructor() {
    // Read the status when the panel opens on a running sandbox (and again when it starts running).
    effect(() => {
      if (this.running()) untracked(() => this.refresh());
    });
    // When the agent finishes a turn it may have changed files: read the status again.
    let wasWorking = false;
    effect(() => {
      const working = this.channel().working();
      if (wasWorking && !working && untracked(this.running)) untracked(() => this.refresh());
      wasWorking = working;
    });
  }

  protected friendly(code: string, message: string): string {
    return gitCodeMessage(code, message);
  }

  protected pickWorkspace(path: string): void {
    this.chosenWorkspace.set(path);
    this.refresh();
  }

  protected refresh(): void {
    this.send({ action: 'status', ...this.where() });
  }

  protected createBranch(): void {
    const branchName = this.branchName().trim();
    if (!BRANCH_NAME.test(branchName)) return;
    if (this.send({ action: 'create_branch', branchName, ...this.where() }, true)) this.branchName.set('');
  }

  protected commit(): void {
    const message = this.commitMessage().trim();
    if (!message) return;
    if (this.send({ action: 'commit', message, includeUntracked: this.includeUntracked(), ...this.where() }, true)) this.commitMessage.set('');
  }

  protected push(): void {
    this.send({ action: 'push', ...this.where() }, true);
  }

  protected createPr(): void {
    const title = this.prTitle().trim();
    if (!title) return;
    const body = this.prBody().trim();
    const baseBranch = this.prBase().trim();
    this.send({ action: 'create_pr', title, ...(body ? { body } : {}), ...(baseBranch ? { baseBranch } : {}), ...this.where() }, true);
  }

  private where(): { workspacePath?: string } {
    const w = this.workspace();
    return this.workspaces().length > 1 && w ? { workspacePath: w } : {};
  }

  private send(git: GitAction, remember = false): boolean {
    if (this.pending()) return false;
    const sent = this.channel().sendGit(git);
    if (sent && remember) this.lastRequest.set(this.channel().gitPending()?.requestId ?? null);
    return sent;
  }
}
