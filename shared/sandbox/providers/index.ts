import type { ObjectsPort } from '../../ports/objects';
import { SandboxProviderError, type SandboxProvider, type SandboxProviderKind } from '../provider';
import { E2bSandboxProvider, type E2bSandboxProviderOptions } from './e2b';
import { LocalSandboxProvider } from './local';
import type { ProviderLogger } from './logger';
import { ModalSandboxProvider, type ModalSandboxProviderOptions } from './modal';

export { E2bSandboxProvider, loadE2bSdk, type E2bSandbox, type E2bSandboxProviderOptions, type E2bSdk } from './e2b';
export { LOCAL_PAUSED_PREFIX, LocalSandboxProvider, type LocalSandboxProviderOptions } from './local';
export type { ProviderLogger } from './logger';
export { ModalSandboxProvider, type ModalClientLike, type ModalSandboxLike, type ModalSandboxProviderOptions } from './modal';

/** What each provider needs; only the chosen provider's part has to be there. */
export interface SandboxProviderSettings {
  logger: ProviderLogger;
  local?: { rootDir: string; objects: ObjectsPort; nodePath?: string };
  e2b?: Omit<E2bSandboxProviderOptions, 'logger'>;
  modal?: Omit<ModalSandboxProviderOptions, 'logger'>;
}

/** A provider of the given kind; fails at once, naming what is missing, when its settings are absent. */
export function createSandboxProvider(kind: SandboxProviderKind, settings: SandboxProviderSettings): SandboxProvider {
  const logger = settings.logger;
  switch (kind) {
    case 'local':
      if (!settings.local) throw missing('local', 'a root directory and an object store');
      return new LocalSandboxProvider({ ...settings.local, logger });
    case 'e2b':
      if (!settings.e2b) throw missing('e2b', 'an API key and a template (E2B_API_KEY, E2B_TEMPLATE)');
      return new E2bSandboxProvider({ ...settings.e2b, logger });
    case 'modal':
      if (!settings.modal) throw missing('modal', 'a token id and secret and an app name (MODAL_TOKEN_ID, MODAL_TOKEN_SECRET, MODAL_APP_NAME)');
      return new ModalSandboxProvider({ ...settings.modal, logger });
    default:
      throw new SandboxProviderError(kind, 'unsupported', `unknown sandbox provider ${JSON.stringify(kind)}`);
  }
}

function missing(kind: SandboxProviderKind, what: string): SandboxProviderError {
  return new SandboxProviderError(kind, 'failed', `the ${kind} sandbox provider is not configured: it needs ${what}`);
}
