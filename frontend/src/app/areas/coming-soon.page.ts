import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import { MatCardModule } from '@angular/material/card';
import { Icon, IconName } from '../shared/icon.component';

/** What a product area will hold, shown until the area itself is built. Inputs come from the route's `data`. */
@Component({
  selector: 'app-coming-soon-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatCardModule, Icon],
  template: `
    <div class="page">
      <header class="page-header">
        <div>
          <h1 data-testid="page-heading">{{ title() }}</h1>
          <p class="muted">{{ summary() }}</p>
        </div>
      </header>
      <mat-card appearance="outlined" class="coming-soon" data-testid="coming-soon">
        <mat-card-content>
          <div class="coming-soon-head">
            <app-icon [name]="icon()" [size]="32" />
            <h2>Coming soon</h2>
          </div>
          <p>This is where you will find:</p>
          <ul>
            @for (feature of features(); track feature) {
              <li>{{ feature }}</li>
            }
          </ul>
        </mat-card-content>
      </mat-card>
    </div>
  `,
  styles: `
    .coming-soon {
      max-width: 720px;
    }
    .coming-soon-head {
      display: flex;
      align-items: center;
      gap: 12px;
      color: var(--mat-sys-primary);
    }
    .coming-soon-head h2 {
      margin: 0;
      color: var(--mat-sys-on-surface);
    }
    li {
      margin: 6px 0;
    }
  `,
})
export class ComingSoonPage {
  readonly title = input.required<string>();
  readonly summary = input('');
  readonly icon = input<IconName>('info');
  readonly features = input<string[]>([]);
}
