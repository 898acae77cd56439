import path from 'node:path';
import type { Config } from '../../shared/config';
import type { ObjectsPort } from '../../shared/ports';
import type { SandboxProvider, SandboxProviderKind } from '../../shared/sandbox/provider';
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
  return {
    defaultProvider: config.SANDBOX_PROVIDER,
    provider(kind) {
      let provider = providers.get(kind);
      if (!provider) {
        provider = createSandboxProvider(kind, {
          logger: logger.child({ component: 'sandbox', provider: kind }),
          local: { rootDir: path.join(dataDir, 'sandboxes'), objects },
          e2b: config.E2B_API_KEY ? { apiKey: config.E2B_API_KEY, template: config.E2B_TEMPLATE } : undefined,
          modal:
            config.MODAL_TOKEN_ID && config.MODAL_TOKEN_SECRET
              ? { tokenId: config.MODAL_TOKEN_ID, tokenSecret: config.MODAL_TOKEN_SECRET, appName: config.MODAL_APP_NAME }
              : undefined,
        });
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
 * Each preview gets its own origin: `p-<token>.localhost` (browsers resolve every *.localhost name to this machine),
 * or `p-<token>.<host>` when PUBLIC_URL names a host with wildcard DNS.
 */
export function previewUrl(publicUrl: string, token: string): string {
  const u = new URL(publicUrl);
  const host = u.hostname === '127.0.0.1' || u.hostname === 'localhost' ? 'localhost' : u.hostname;
  return `${u.protocol}//p-${token}.${host}${u.port ? `:${u.port}` : ''}/`;
}
