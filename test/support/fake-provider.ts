import type { CreateSandboxOptions, SandboxCapabilities, SandboxHandle, SandboxProvider, SandboxState } from '../../shared/sandbox/provider';

/**
 * An in-memory provider for lifecycle tests: records every call and can be made slow or failing, so races between
 * workers can be staged. (The real providers have their own contract suite in test/sandbox/providers.)
 */
export class FakeProvider implements SandboxProvider {
  readonly kind = 'local' as const;
  capabilities: SandboxCapabilities = { pause: true, memorySnapshot: false, maxLifetimeMs: null, baseSnapshot: null };
  readonly calls: string[] = [];
  readonly sandboxes = new Map<string, { state: SandboxState; options: CreateSandboxOptions }>();
  delayMs = 0;
  failCreate: Error | null = null;
  private snapshots = 0;

  private async pause_(ms = this.delayMs) {
    if (ms) await new Promise((r) => setTimeout(r, ms));
  }

  async create(options: CreateSandboxOptions): Promise<SandboxHandle> {
    this.calls.push(`create:${options.sandboxId}:${options.fromSnapshot ?? '-'}`);
    await this.pause_();
    if (this.failCreate) throw this.failCreate;
    const id = `prov-${options.sandboxId}`;
    this.sandboxes.set(id, { state: 'running', options });
    return { sandboxId: id, expiresAt: null };
  }
  async resume(sandboxId: string, options: CreateSandboxOptions): Promise<SandboxHandle> {
    this.calls.push(`resume:${sandboxId}`);
    await this.pause_();
    const box = this.sandboxes.get(sandboxId);
    if (!box) return this.create(options);
    box.state = 'running';
    box.options = options;
    return { sandboxId, expiresAt: null };
  }
  async pause(sandboxId: string) {
    this.calls.push(`pause:${sandboxId}`);
    await this.pause_();
    const box = this.sandboxes.get(sandboxId);
    if (box) box.state = 'paused';
    return { snapshotId: `snap-pause-${sandboxId}` };
  }
  async snapshot(sandboxId: string) {
    this.calls.push(`snapshot:${sandboxId}`);
    await this.pause_();
    return { snapshotId: `snap-${++this.snapshots}-${sandboxId}` };
  }
  async terminate(sandboxId: string) {
    this.calls.push(`terminate:${sandboxId}`);
    const box = this.sandboxes.get(sandboxId);
    if (box) box.state = 'stopped';
  }
  async exec() {
    return { exitCode: 0, stdout: '', stderr: '' };
  }
  async state(sandboxId: string): Promise<SandboxState> {
    return this.sandboxes.get(sandboxId)?.state ?? 'unknown';
  }
  async tunnelUrl(_sandboxId: string, port: number) {
    return `http://127.0.0.1:${port}`;
  }
  /** Which of our sandbox ids are running now. */
  running(): string[] {
    return [...this.sandboxes.values()].filter((b) => b.state === 'running').map((b) => b.options.sandboxId);
  }
}
