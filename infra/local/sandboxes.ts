import type { Config } from '../../shared/config';
import type { SandboxesRuntime } from '../../shared/runtime/container';
import type { Logger } from '../../shared/runtime/logger';

/** Sandboxes for the embedded runtime: wired in the next step (providers and the daemon bundle). */
export function localSandboxes(config: Config, _dataDir: string, _logger: Logger): SandboxesRuntime {
  const apiUrl = (config.SANDBOX_API_URL ?? config.publicUrl).replace(/\/$/, '');
  return {
    defaultProvider: config.SANDBOX_PROVIDER,
    provider: () => {
      throw new Error('sandbox providers are not wired yet');
    },
    daemon: async () => {
      throw new Error('the daemon bundle is not wired yet');
    },
    endpoints: { apiUrl, wsUrl: `${apiUrl.replace(/^http/, 'ws')}/ws` },
  };
}
