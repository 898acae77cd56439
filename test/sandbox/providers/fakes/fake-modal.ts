import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {
  ModalAppLike,
  ModalClientLike,
  ModalImageLike,
  ModalProcessLike,
  ModalSandboxLike,
  ModalSandboxParams,
} from '../../../../shared/sandbox/providers/modal';
import { named } from './fake-e2b';
import { FakeMachine } from './fake-machine';

const MODAL_HOME = '/root';

/**
 * Modal at the SDK boundary: Modal's API is gRPC over HTTP/2 with its own protobufs, which a loopback fake cannot
 * speak for the real client, so the fake implements the narrow client surface the provider uses. Each fake sandbox is
 * a FakeMachine (a real directory and real processes). Images are directories: `fromRegistry` gives an empty
 * filesystem, `snapshotFilesystem` copies the sandbox's files. There is no pause, as on Modal. Like the real SDK,
 * `sandboxes.fromId` is lazy: an unknown id fails on its first call, with the SDK's NotFoundError.
 */
export class FakeModal implements ModalClientLike {
  readonly calls: Array<{ method: string; args: unknown[] }> = [];
  readonly failures = new Map<string, Error>();
  private readonly sandboxMap = new Map<string, { machine: FakeMachine; exitCode: number | null; params: ModalSandboxParams }>();
  private readonly imageDirs = new Map<string, string | null>();
  private counter = 0;
  private baseDir: string | undefined;

  readonly apps = {
    fromName: async (name: string, params: { createIfMissing: boolean; environment?: string }): Promise<ModalAppLike> => {
      this.record('apps.fromName', name, params);
      return { appId: `ap-${name}`, name };
    },
  };

  readonly images = {
    fromRegistry: (tag: string): ModalImageLike => {
      this.record('images.fromRegistry', tag);
      const imageId = `im-registry-${tag}`;
      this.imageDirs.set(imageId, null);
      return { imageId };
    },
    fromId: async (imageId: string): Promise<ModalImageLike> => {
      this.record('images.fromId', imageId);
      if (!this.imageDirs.has(imageId)) throw named('NotFoundError', `Image ${imageId} not found`);
      return { imageId };
    },
  };

  readonly sandboxes = {
    create: async (app: ModalAppLike, image: ModalImageLike, params: ModalSandboxParams): Promise<ModalSandboxLike> => {
      this.record('sandboxes.create', app, image.imageId, params);
      const id = `sb-${++this.counter}${Math.random().toString(36).slice(2, 8)}`;
      const root = path.join(await this.dir(), id);
      const from = this.imageDirs.get(image.imageId);
      if (from === undefined) throw named('NotFoundError', `Image ${image.imageId} not found`);
      let machine: FakeMachine;
      if (from) {
        await mkdir(root, { recursive: true });
        await new FakeMachine(from, MODAL_HOME).copyFilesTo(root);
        machine = new FakeMachine(root, MODAL_HOME);
      } else {
        machine = await FakeMachine.boot(root, MODAL_HOME);
      }
      await mkdir(machine.hostPath(params.workdir), { recursive: true });
      this.sandboxMap.set(id, { machine, exitCode: null, params });
      return this.handle(id);
    },
    fromId: async (sandboxId: string): Promise<ModalSandboxLike> => {
      this.record('sandboxes.fromId', sandboxId);
      return this.handle(sandboxId);
    },
  };

  machine(sandboxId: string): FakeMachine {
    return this.find(sandboxId).machine;
  }

  params(sandboxId: string): ModalSandboxParams {
    return this.find(sandboxId).params;
  }

  /** Where a tunnel URL leads on this machine: the port itself, served on loopback. */
  static loopbackFor(url: string): string {
    const match = /^https:\/\/[\w-]+-(\d+)\.modal\.test(\/.*)?$/.exec(url);
    if (!match) throw new Error(`not a fake modal tunnel URL: ${url}`);
    return `http://127.0.0.1:${match[1]}${match[2] ?? '/'}`;
  }

  async close(): Promise<void> {
    for (const sandbox of this.sandboxMap.values()) await sandbox.machine.destroy();
    this.sandboxMap.clear();
    if (this.baseDir) await rm(this.baseDir, { recursive: true, force: true });
  }

  private handle(sandboxId: string): ModalSandboxLike {
    const running = () => {
      const sandbox = this.find(sandboxId);
      if (sandbox.exitCode !== null) throw named('InvalidError', `Sandbox ${sandboxId} has already finished`);
      return sandbox;
    };
    return {
      sandboxId,
      exec: async (command, params) => {
        this.record('sandbox.exec', sandboxId, command, params);
        const run = running().machine.run(command, { cwd: params.workdir, env: params.env, timeoutMs: params.timeoutMs });
        const process: ModalProcessLike = {
          stdout: { readText: async () => (await run).stdout },
          stderr: { readText: async () => (await run).stderr },
          wait: async () => {
            const result = await run;
            if (result.timedOut) throw new Error(`Deadline exceeded while waiting for exec ex-${sandboxId}`);
            return result.exitCode;
          },
        };
        return process;
      },
      filesystem: {
        writeText: async (data, remotePath) => {
          this.record('sandbox.filesystem.writeText', sandboxId, remotePath);
          await running().machine.writeFile(remotePath, data);
        },
      },
      snapshotFilesystem: async () => {
        this.record('sandbox.snapshotFilesystem', sandboxId);
        const sandbox = running();
        const imageId = `im-snap${++this.counter}`;
        const dir = path.join(await this.dir(), imageId);
        await sandbox.machine.copyFilesTo(dir);
        this.imageDirs.set(imageId, dir);
        return { imageId };
      },
      terminate: async () => {
        this.record('sandbox.terminate', sandboxId);
        const sandbox = this.find(sandboxId);
        if (sandbox.exitCode !== null) return;
        await sandbox.machine.killAll();
        sandbox.exitCode = 137;
      },
      poll: async () => {
        this.record('sandbox.poll', sandboxId);
        return this.find(sandboxId).exitCode;
      },
      tunnels: async () => {
        this.record('sandbox.tunnels', sandboxId);
        const sandbox = running();
        return Object.fromEntries(sandbox.params.encryptedPorts.map((port) => [port, { url: `https://${sandboxId}-${port}.modal.test` }]));
      },
    };
  }

  private find(sandboxId: string) {
    const sandbox = this.sandboxMap.get(sandboxId);
    if (!sandbox) throw named('NotFoundError', `Sandbox ${sandboxId} not found`);
    return sandbox;
  }

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.failures.get(method);
    if (failure) {
      this.failures.delete(method);
      throw failure;
    }
  }

  private async dir(): Promise<string> {
    this.baseDir ??= await mkdtemp(path.join(os.tmpdir(), 'fake-modal-'));
    return this.baseDir;
  }
}
