import { Injectable, inject, signal } from '@angular/core';
import { firstValueFrom } from 'rxjs';
import { Api } from '../api/api.service';
import type { Health } from '../api/types';

/** What `/api/health` says about the deployment; read once. */
@Injectable({ providedIn: 'root' })
export class RuntimeInfo {
  private readonly api = inject(Api);
  private pending: Promise<Health | null> | null = null;
  readonly health = signal<Health | null>(null);

  load(): Promise<Health | null> {
    this.pending ??= firstValueFrom(this.api.health())
      .then((h) => {
        this.health.set(h);
        return h;
      })
      .catch(() => {
        this.pending = null;
        return null;
      });
    return this.pending;
  }

  /** True on the embedded runtime, where mail lands in the dev mailbox instead of being sent. */
  isLocal(): boolean {
    return this.health()?.runtime === 'local';
  }
}
