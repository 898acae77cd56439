import { DestroyRef, Injectable, inject, signal } from '@angular/core';

/** The time, ticking every half minute: relative times ("5 min ago") read it and stay current. */
@Injectable({ providedIn: 'root' })
export class Clock {
  private readonly current = signal(Date.now());
  readonly now = this.current.asReadonly();

  constructor() {
    const timer = setInterval(() => this.current.set(Date.now()), 30_000);
    inject(DestroyRef).onDestroy(() => clearInterval(timer));
  }
}
