import { ChangeDetectionStrategy, Component } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { RouterLink } from '@angular/router';
import { Brand } from '../shared/brand.component';

@Component({
  selector: 'app-not-found-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterLink, MatButtonModule, Brand],
  template: `
    <main class="auth-page">
      <app-brand class="auth-brand" />
      <h1>Page not found</h1>
      <p class="muted">There is nothing at this address.</p>
      <a mat-flat-button routerLink="/">Go to the dashboard</a>
    </main>
  `,
})
export class NotFoundPage {}
