import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * A deliberately small ACP client for tests: JSON-RPC 2.0 as newline-delimited JSON over a child's stdio, written
 * from the protocol rather than with the SDK, so the tests also check what goes over the wire.
 */
export class AcpTestClient {
  readonly updates: { sessionId: string; update: any }[] = [];
  readonly permissionRequests: any[] = [];
  stderr = '';
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: any) => void }>();
  private readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(line));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    this.exited.then(() => {
      for (const p of this.pending.values()) p.reject(new Error(`agent exited; stderr: ${this.stderr.slice(-2000)}`));
      this.pending.clear();
    });
  }

  static spawn(argv: string[], options: { cwd: string; env: Record<string, string | undefined> }): AcpTestClient {
    return new AcpTestClient(spawn(argv[0], argv.slice(1), { cwd: options.cwd, env: options.env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  request(method: string, params: unknown): Promise<any> {
    const id = this.nextId++;
    this.write({ jsonrpc: '2.0', id, method, params });
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  notify(method: string, params: unknown): void {
    this.write({ jsonrpc: '2.0', method, params });
  }

  /** The updates of one session, by kind. */
  updatesOf(kind: string): any[] {
    return this.updates.map((u) => u.update).filter((u) => u.sessionUpdate === kind);
  }

  async initialize(): Promise<any> {
    return this.request('initialize', {
      protocolVersion: 1,
      clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
      clientInfo: { name: 'acp-test-client', version: '0' },
    });
  }

  async close(): Promise<void> {
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }

  private write(msg: unknown): void {
    this.child.stdin!.write(`${JSON.stringify(msg)}\n`);
  }

  private onLine(line: string): void {
    if (!line.trim()) return;
    const msg = JSON.parse(line);
    if (msg.id !== undefined && msg.method === undefined) {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.error) p?.reject(Object.assign(new Error(msg.error.message), { code: msg.error.code, data: msg.error.data }));
      else p?.resolve(msg.result);
    } else if (msg.method === 'session/update') {
      this.updates.push(msg.params);
    } else if (msg.method === 'session/request_permission') {
      this.permissionRequests.push(msg.params);
      this.write({ jsonrpc: '2.0', id: msg.id, result: { outcome: { outcome: 'selected', optionId: msg.params.options[0].optionId } } });
    } else if (msg.id !== undefined) {
      this.write({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: `Method not found: ${msg.method}` } });
    }
  }
}
