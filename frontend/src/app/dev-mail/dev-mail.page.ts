import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, DestroyRef, InjectionToken, computed, inject } from '@angular/core';
import { rxResource, takeUntilDestroyed, toSignal } from '@angular/core/rxjs-interop';
import { FormControl, ReactiveFormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatListModule } from '@angular/material/list';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatToolbarModule } from '@angular/material/toolbar';
import { ActivatedRoute, Router, RouterLink } from '@angular/router';
import { debounceTime, distinctUntilChanged, map } from 'rxjs';
import { Api } from '../api/api.service';
import { Brand } from '../shared/brand.component';
import { EmptyState } from '../shared/empty-state.component';
import { ErrorBanner } from '../shared/error-banner.component';
import { Icon } from '../shared/icon.component';
import { linkify } from '../shared/linkify';

/** New mail shows up without a reload: the list is read again this often (ms) while the page is open. */
export const DEV_MAIL_POLL_MS = new InjectionToken<number>('DEV_MAIL_POLL_MS', { providedIn: 'root', factory: () => 3_000 });

/** The local runtime's outbox: every mail the server "sent", readable without signing in. */
@Component({
  selector: 'app-dev-mail-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    DatePipe,
    ReactiveFormsModule,
    RouterLink,
    MatButtonModule,
    MatFormFieldModule,
    MatInputModule,
    MatListModule,
    MatProgressBarModule,
    MatToolbarModule,
    Brand,
    EmptyState,
    ErrorBanner,
    Icon,
  ],
  template: `
    <mat-toolbar class="app-toolbar">
      <a routerLink="/" class="brand-link" aria-label="Proliferate home"><app-brand /></a>
      <span class="toolbar-title">Dev mailbox</span>
    </mat-toolbar>
    <main class="page dev-mail">
      <header class="page-header">
        <div>
          <h1>Dev mailbox</h1>
          <p class="muted">Mail this machine would have sent, newest first. Only the local runtime has it.</p>
        </div>
        <button mat-stroked-button type="button" (click)="messages.reload()" data-testid="dev-mail-refresh">
          <app-icon name="refresh" /> Refresh
        </button>
      </header>

      <mat-form-field appearance="outline" class="filter">
        <mat-label>Filter by recipient</mat-label>
        <input matInput type="search" [formControl]="filter" data-testid="dev-mail-filter" />
      </mat-form-field>

      <app-error-banner [error]="messages.error()" retryLabel="Retry" (retry)="messages.reload()" />

      <div class="mail-layout" [class.reading]="!!mailId()">
        <section class="mail-list surface" aria-label="Messages">
          @if (messages.status() === 'loading') {
            <mat-progress-bar mode="indeterminate" aria-label="Loading messages" />
          }
          @if (list().length > 0) {
            <mat-nav-list data-testid="dev-mail-list">
              @for (m of list(); track m.id) {
                <a
                  mat-list-item
                  [routerLink]="['/dev/mail', m.id]"
                  queryParamsHandling="preserve"
                  [activated]="m.id === mailId()"
                  [attr.aria-current]="m.id === mailId() ? 'true' : null"
                  data-testid="dev-mail-item"
                >
                  <span matListItemTitle>{{ m.subject }}</span>
                  <span matListItemLine class="muted">To {{ m.to }} · {{ m.createdAt | date: 'short' }}</span>
                </a>
              }
            </mat-nav-list>
          } @else if (messages.hasValue()) {
            <app-empty-state title="No mail yet" icon="mail">
              @if (to()) {
                Nothing sent to {{ to() }}.
              } @else {
                Sign up or invite someone and the mail appears here.
              }
            </app-empty-state>
          }
        </section>

        <section class="mail-reader surface" aria-label="Message">
          @if (mailId()) {
            <a mat-button class="back-link" routerLink="/dev/mail" queryParamsHandling="preserve">
              <app-icon name="back" /> All messages
            </a>
          }
          <app-error-banner [error]="message.error()" />
          @if (message.isLoading()) {
            <mat-progress-bar mode="indeterminate" aria-label="Loading message" />
          }
          @if (current(); as m) {
            <article data-testid="dev-mail-message">
              <h2 data-testid="dev-mail-subject">{{ m.subject }}</h2>
              <dl class="mail-meta">
                <dt>From</dt>
                <dd>{{ m.from }}</dd>
                <dt>To</dt>
                <dd data-testid="dev-mail-to">{{ m.to }}</dd>
                <dt>Date</dt>
                <dd>{{ m.createdAt | date: 'medium' }}</dd>
              </dl>
              <!-- One line on purpose: the text is pre-wrap, so template whitespace would show. -->
              <div class="mail-text" data-testid="dev-mail-text">@for (part of parts(); track $index) {@if (part.kind === 'link') {<a [href]="part.href" data-testid="dev-mail-message-link">{{ part.text }}</a>} @else {<span>{{ part.text }}</span>}}</div>
            </article>
          } @else if (!mailId()) {
            <p class="muted reader-hint">Select a message to read it.</p>
          }
        </section>
      </div>
    </main>
  `,
  styles: `
    .dev-mail .filter {
      width: min(100%, 420px);
    }
    .mail-layout {
      display: grid;
      grid-template-columns: minmax(260px, 2fr) 3fr;
      gap: 16px;
      align-items: start;
    }
    .mail-reader {
      padding: 16px 24px;
      min-height: 200px;
    }
    .mail-meta {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 4px 16px;
      margin: 0 0 16px;
    }
    .mail-meta dt {
      color: var(--mat-sys-on-surface-variant);
    }
    .mail-meta dd {
      margin: 0;
      overflow-wrap: anywhere;
    }
    .mail-text {
      white-space: pre-wrap;
      overflow-wrap: anywhere;
      font: var(--mat-sys-body-large);
    }
    .back-link {
      display: none;
    }
    @media (max-width: 800px) {
      .mail-layout {
        grid-template-columns: 1fr;
      }
      .mail-layout.reading .mail-list,
      .mail-layout:not(.reading) .mail-reader {
        display: none;
      }
      .back-link {
        display: inline-flex;
      }
    }
  `,
})
export class DevMailPage {
  private readonly api = inject(Api);
  private readonly router = inject(Router);
  private readonly route = inject(ActivatedRoute);

  protected readonly mailId = toSignal(this.route.paramMap.pipe(map((p) => p.get('mailId'))), { initialValue: null });
  protected readonly to = toSignal(this.route.queryParamMap.pipe(map((q) => q.get('to') ?? '')), { initialValue: '' });
  protected readonly filter = new FormControl(this.route.snapshot.queryParamMap.get('to') ?? '', { nonNullable: true });

  protected readonly messages = rxResource({
    params: () => ({ to: this.to() }),
    stream: ({ params }) => this.api.devMail({ to: params.to || undefined, limit: 100 }),
  });
  protected readonly list = computed(() =>
    this.messages.hasValue() ? [...this.messages.value().messages].sort((a, b) => b.createdAt.localeCompare(a.createdAt)) : [],
  );

  protected readonly message = rxResource({
    params: () => this.mailId() ?? undefined,
    stream: ({ params }) => this.api.devMailMessage(params),
  });
  protected readonly current = computed(() => (this.message.hasValue() ? this.message.value() : undefined));
  protected readonly parts = computed(() => {
    const m = this.current();
    return m ? linkify(m.text) : [];
  });

  constructor() {
    this.filter.valueChanges.pipe(debounceTime(300), distinctUntilChanged(), takeUntilDestroyed()).subscribe((to) => {
      void this.router.navigate([], {
        relativeTo: this.route,
        queryParams: { to: to.trim() || null },
        queryParamsHandling: 'merge',
        replaceUrl: true,
      });
    });
    const timer = setInterval(() => {
      if (this.messages.status() !== 'loading' && this.messages.status() !== 'reloading') this.messages.reload();
    }, inject(DEV_MAIL_POLL_MS));
    inject(DestroyRef).onDestroy(() => clearInterval(timer));
  }
}
