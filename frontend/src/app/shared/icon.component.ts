import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';

const circle = (cx: number, cy: number, r: number) => `M${cx - r} ${cy}a${r} ${r} 0 1 0 ${2 * r} 0a${r} ${r} 0 1 0 ${-2 * r} 0`;
const rect = (x: number, y: number, w: number, h: number, r = 2) =>
  `M${x + r} ${y}h${w - 2 * r}a${r} ${r} 0 0 1 ${r} ${r}v${h - 2 * r}a${r} ${r} 0 0 1 ${-r} ${r}h${-(w - 2 * r)}` +
  `a${r} ${r} 0 0 1 ${-r} ${-r}v${-(h - 2 * r)}a${r} ${r} 0 0 1 ${r} ${-r}z`;

/** Line icons drawn for this dashboard on a 24×24 grid (no icon font: the app works offline). */
const ICONS = {
  home: 'M4 11 12 4l8 7M6 9.5V20h12V9.5M10 20v-5h4v5',
  sessions: rect(3, 5, 18, 14) + 'M7 10l3 2-3 2M12.5 15H17',
  automations: 'M13 3 5 14h6l-1 7 9-12h-6z',
  inbox: rect(3, 5, 18, 14) + 'M3 13h5l1.5 3h5l1.5-3h5',
  integrations: 'M9 3v5M15 3v5M7 8h10v3a5 5 0 0 1-10 0zM12 16v5',
  billing: rect(3, 6, 18, 12) + 'M3 10h18M7 14.5h4',
  members: circle(9, 8, 3) + 'M3 20c0-3.5 2.7-6 6-6s6 2.5 6 6' + circle(17, 9, 2.5) + 'M16.5 14.1c2.6.3 4.5 2.6 4.5 5.9',
  key: circle(8, 15, 4) + 'M11 12 20 3M16 7l3 3M13.5 9.5l2 2',
  lock: rect(5, 11, 14, 10) + 'M8 11V7.5a4 4 0 0 1 8 0V11M12 15v2',
  settings: circle(12, 12, 3) + circle(12, 12, 7) + 'M12 2v3M12 19v3M2 12h3M19 12h3',
  admin: 'M12 3l8 3v6c0 4.5-3.5 7.5-8 9-4.5-1.5-8-4.5-8-9V6zM9 12l2 2 4-4',
  menu: 'M4 6h16M4 12h16M4 18h16',
  check: 'M5 12.5 9.5 17 19 7',
  copy: rect(9, 9, 11, 11) + 'M5 15H4V4h11v1',
  logout: 'M15 4h4v16h-4M10 8l-4 4 4 4M6 12h10',
  plus: 'M12 5v14M5 12h14',
  'chevron-down': 'M6 9l6 6 6-6',
  organization: rect(4, 3, 16, 18, 1) + 'M8 7h2M14 7h2M8 11h2M14 11h2M10 21v-4h4v4',
  mail: rect(3, 5, 18, 14) + 'M3 7l9 6 9-6',
  trash: 'M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13',
  refresh: 'M20 11a8 8 0 1 0-2.3 5.7M20 5v6h-6',
  user: circle(12, 8, 4) + 'M4 21c0-4.4 3.6-8 8-8s8 3.6 8 8',
  search: circle(11, 11, 6) + 'M20 20l-4.5-4.5',
  back: 'M19 12H5M11 6l-6 6 6 6',
  warning: 'M12 3 2 20h20zM12 10v4M12 17v.5',
  info: circle(12, 12, 9) + 'M12 11v6M12 7.5v.5',
  close: 'M6 6l12 12M18 6 6 18',
  // sessions, repos and configurations
  repo: 'M5 4h11a2 2 0 0 1 2 2v14H7a2 2 0 0 1-2-2zM5 18a2 2 0 0 1 2-2h11',
  configuration: 'M12 4 3 8.5l9 4.5 9-4.5zM3 12.5l9 4.5 9-4.5M3 16.5l9 4.5 9-4.5',
  branch: circle(6, 6, 2) + circle(6, 18, 2) + circle(18, 8, 2) + 'M6 8v8M18 10c0 4-6 3-10.5 7',
  pr: circle(6, 6, 2) + circle(6, 18, 2) + circle(18, 18, 2) + 'M6 8v8M18 16V9a3 3 0 0 0-3-3h-4M13 4l-2 2 2 2',
  terminal: 'M4 6l6 6-6 6M12 18h8',
  preview: rect(3, 4, 18, 16) + 'M3 9h18M6.5 6.5h.5M9 6.5h.5',
  pause: 'M8 5v14M16 5v14',
  play: 'M7 4.5v15l12-7.5z',
  camera: rect(3, 7, 18, 13) + 'M8 7l1.5-3h5L16 7' + circle(12, 13.5, 3.5),
  send: 'M4 12 20 4l-5 16-3-7zM12 13l8-9',
  stop: rect(6, 6, 12, 12),
  external: 'M14 4h6v6M20 4l-9 9M18 14v6H4V6h6',
  'chevron-right': 'M9 6l6 6-6 6',
  chat: 'M4 5h16v11H9l-5 4z',
  clock: circle(12, 12, 9) + 'M12 7v5l3 2',
  file: 'M6 3h8l4 4v14H6zM14 3v4h4',
  edit: 'M4 20h4L19 9l-4-4L4 16zM13.5 6.5l4 4',
  move: 'M5 12h14M15 8l4 4-4 4M9 8 5 12l4 4',
  bulb: 'M9 18h6M10 21h4M12 3a6 6 0 0 0-4 10.5c.8.8 1 1.5 1 2.5h6c0-1 .2-1.7 1-2.5A6 6 0 0 0 12 3z',
  globe: circle(12, 12, 9) + 'M3 12h18M12 3c2.5 2.5 3.5 5.5 3.5 9s-1 6.5-3.5 9c-2.5-2.5-3.5-5.5-3.5-9s1-6.5 3.5-9z',
  tool: 'M15 4a5 5 0 0 0-4.6 6.9L4 17.3 6.7 20l6.4-6.4A5 5 0 0 0 20 9l-3 3-3-1-1-3z',
} as const;

export type IconName = keyof typeof ICONS;

@Component({
  selector: 'app-icon',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { class: 'app-icon', 'aria-hidden': 'true' },
  template: `<svg viewBox="0 0 24 24" [attr.width]="size()" [attr.height]="size()" focusable="false">
    <path [attr.d]="path()" />
  </svg>`,
  styles: `
    :host {
      display: inline-flex;
      line-height: 0;
      vertical-align: middle;
    }
    path {
      fill: none;
      stroke: currentColor;
      stroke-width: 1.8;
      stroke-linecap: round;
      stroke-linejoin: round;
    }
  `,
})
export class Icon {
  readonly name = input.required<IconName>();
  readonly size = input(20);
  protected readonly path = computed(() => ICONS[this.name()]);
}
