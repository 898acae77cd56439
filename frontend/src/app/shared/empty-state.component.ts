import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import { Icon, IconName } from './icon.component';

@Component({
  selector: 'app-empty-state',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Icon],
  template: `
    <div class="empty-state" data-testid="empty-state">
      <app-icon [name]="icon()" [size]="36" />
      <p class="empty-title">{{ title() }}</p>
      <div class="empty-body"><ng-content /></div>
    </div>
  `,
})
export class EmptyState {
  readonly title = input.required<string>();
  readonly icon = input<IconName>('info');
}
