import os from 'node:os';
import { FsObjects } from '../../../shared/adapters/local/objects';
import { SandboxProviderError } from '../../../shared/sandbox/provider';
import { createSandboxProvider, E2bSandboxProvider, LocalSandboxProvider, ModalSandboxProvider } from '../../../shared/sandbox/providers';
import { createLogger } from '../../../shared/runtime/logger';

describe('createSandboxProvider', () => {
  const logger = createLogger({ level: 'silent' });
  const settings = {
    logger,
    local: { rootDir: os.tmpdir(), objects: new FsObjects(os.tmpdir()) },
    e2b: { apiKey: 'e2b_key', template: 'base' },
    modal: { tokenId: 'ak-x', tokenSecret: 'as-y', appName: 'proliferate' },
  };

  it('builds the provider of the kind asked for, without reaching any service', () => {
    expect(createSandboxProvider('local', settings)).toBeInstanceOf(LocalSandboxProvider);
    expect(createSandboxProvider('e2b', settings)).toBeInstanceOf(E2bSandboxProvider);
    expect(createSandboxProvider('modal', settings)).toBeInstanceOf(ModalSandboxProvider);
    expect(createSandboxProvider('e2b', settings).kind).toBe('e2b');
  });

  it('fails at once, naming what is missing, for an unconfigured or unknown provider', () => {
    expect(() => createSandboxProvider('e2b', { logger })).toThrow(/E2B_API_KEY/);
    expect(() => createSandboxProvider('modal', { logger })).toThrow(/MODAL_TOKEN_ID/);
    expect(() => createSandboxProvider('local', { logger })).toThrow(SandboxProviderError);
    expect(() => createSandboxProvider('docker' as never, settings)).toThrow(/unknown sandbox provider "docker"/);
  });
});
