import fc from 'fast-check';
import { SandboxProviderError } from '../../../shared/sandbox/provider';
import { providerError, redactSecrets, secretValuesOf } from '../../../shared/sandbox/providers/errors';

describe('provider errors', () => {
  it('removes every given secret from a message, wherever it appears', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 8 }).filter((s) => !s.includes('[redacted]')), fc.string(), (before, secret, after) => {
        expect(redactSecrets(`${before}${secret}${after}${secret}`, [secret])).not.toContain(secret);
      }),
    );
  });

  it('removes credential-shaped strings it was not told about', () => {
    const text = [
      'key e2b_0123456789abcdef0123',
      'modal as-abcdef0123456789',
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl',
      'Authorization: Bearer abc.def.ghi',
      'https://x.test/cb?token=s3cr3t&x=1',
      'api prl_live_0123456789abcdef',
    ].join('\n');

    const out = redactSecrets(text);

    for (const secret of ['e2b_0123456789abcdef0123', 'as-abcdef0123456789', 'eyJhbGciOiJIUzI1NiJ9', 'abc.def.ghi', 's3cr3t', 'prl_live_0123456789abcdef']) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('Bearer [redacted]');
    expect(out).toContain('x=1');
  });

  it('takes the credential-looking values of an environment, and wraps errors once with provider, code and action', () => {
    expect(secretValuesOf({ PROLIFERATE_SANDBOX_TOKEN: 't0k3n', PROLIFERATE_API_URL: 'https://x', OPENAI_API_KEY: 'sk-1' })).toEqual(['t0k3n', 'sk-1']);

    const wrapped = providerError('e2b', 'unavailable', 'create a sandbox', new Error('503 for key secret-key-1'), ['secret-key-1']);
    const again = providerError('modal', 'failed', 'other', wrapped);

    expect(wrapped).toBeInstanceOf(SandboxProviderError);
    expect(wrapped).toMatchObject({ provider: 'e2b', code: 'unavailable', message: 'e2b could not create a sandbox: 503 for key [redacted]' });
    expect(again).toBe(wrapped);
    expect(providerError('local', 'failed', 'x', new Error('y'.repeat(5000))).message.length).toBeLessThanOrEqual(1001);
  });
});
