import path from 'node:path';
import type { Config } from '../../shared/config';
import type { ObjectsPort } from '../../shared/ports';
import type { SandboxHandle, SandboxProvider, SandboxProviderKind } from '../../shared/sandbox/provider';
import { createSandboxProvider } from '../../shared/sandbox/providers';
import type { SandboxesRuntime } from '../../shared/runtime/container';
import type { Logger } from '../../shared/runtime/logger';
import { buildSandboxBundles } from '../../scripts/build-sandbox';

/**
 * Sandboxes for the embedded runtime: the local provider (a folder and processes per sandbox under the data
 * directory) unless E2B or Modal credentials are configured; the daemon is bundled on first use.
 */
export function localSandboxes(config: Config, dataDir: string, logger: Logger, objects: ObjectsPort): SandboxesRuntime {
  const apiUrl = (config.SANDBOX_API_URL ?? config.publicUrl).replace(/\/$/, '');
  const providers = new Map<SandboxProviderKind, SandboxProvider>();
  let bundles: Promise<{ path: string; version: string }> | undefined;
  const lifetimeMs = config.SANDBOX_LIFETIME_SECONDS === undefined ? undefined : config.SANDBOX_LIFETIME_SECONDS * 1000;
  return {
    defaultProvider: config.SANDBOX_PROVIDER,
    provider(kind) {
      let provider = providers.get(kind);
      if (!provider) {
        provider = createSandboxProvider(kind, {
          logger: logger.child({ component: 'sandbox', provider: kind }),
          local: { rootDir: path.join(dataDir, 'sandboxes'), objects },
          e2b: config.E2B_API_KEY ? { apiKey: config.E2B_API_KEY, template: config.E2B_TEMPLATE, defaultTimeoutMs: lifetimeMs } : undefined,
          modal:
            config.MODAL_TOKEN_ID && config.MODAL_TOKEN_SECRET
              ? { tokenId: config.MODAL_TOKEN_ID, tokenSecret: config.MODAL_TOKEN_SECRET, appName: config.MODAL_APP_NAME, defaultTimeoutMs: lifetimeMs }
              : undefined,
        });
        if (kind === 'local' && lifetimeMs !== undefined) provider = withLifetime(provider, lifetimeMs);
        providers.set(kind, provider);
      }
      return provider;
    },
    daemon() {
      bundles ??= buildSandboxBundles().then((b) => ({ path: b.daemon, version: b.version }));
      return bundles;
    },
    endpoints: { apiUrl, wsUrl: `${apiUrl.replace(/^http/, 'ws')}/ws` },
    previewUrl: (token) => previewUrl(config.publicUrl, token),
  };
}

/**
 * A provider whose sandboxes report a lifetime (SANDBOX_LIFETIME_SECONDS) they do not otherwise have: local sandboxes
 * are not ended then, but their sessions migrate or pause as a cloud sandbox's would, so expiry can be tried on one
 * machine.
 */
export function withLifetime(provider: SandboxProvider, lifetimeMs: number): SandboxProvider {
  const expiring = (handle: SandboxHandle): SandboxHandle => ({ ...handle, expiresAt: new Date(Date.now() + lifetimeMs) });
  return {
    kind: provider.kind,
    capabilities: { ...provider.capabilities, maxLifetimeMs: lifetimeMs },
    create: async (options) => expiring(await provider.create(options)),
    resume: async (sandboxId, options) => expiring(await provider.resume(sandboxId, options)),
    pause: (sandboxId) => provider.pause(sandboxId),
    snapshot: (sandboxId, options) => provider.snapshot(sandboxId, options),
    terminate: (sandboxId) => provider.terminate(sandboxId),
    exec: (sandboxId, argv, options) => provider.exec(sandboxId, argv, options),
    state: (sandboxId) => provider.state(sandboxId),
    tunnelUrl: (sandboxId, port) => provider.tunnelUrl(sandboxId, port),
  };
}

/**
 * Each preview gets its own origin: `p-<token>.localhost` (browsers resolve every *.localhost name to this machine),
 * or `p-<token>.<host>` when PUBLIC_URL names a host with wildcard DNS.
 */
export function previewUrl(publicUrl: string, token: string): string {
  const u = new URL(publicUrl);
  const host = u.hostname === '127.0.0.1' || u.hostname === 'localhost' ? 'localhost' : u.hostname;
  return `${u.protocol}//p-${token}.${host}${u.port ? `:${u.port}` : ''}/`;
}
