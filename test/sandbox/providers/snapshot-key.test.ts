import fc from 'fast-check';
import { SNAPSHOT_KEY_SALT, snapshotVersionKey } from '../../../shared/sandbox/snapshot-key';

const kind = fc.constantFrom('local' as const, 'e2b' as const, 'modal' as const);
const input = fc.record({ daemonVersion: fc.string(), provider: kind, salt: fc.option(fc.string(), { nil: undefined }) });

describe('snapshotVersionKey', () => {
  it('is a SHA-256 hex digest that depends only on its inputs', () => {
    fc.assert(
      fc.property(input, (i) => {
        const key = snapshotVersionKey(i);
        expect(key).toMatch(/^[0-9a-f]{64}$/);
        expect(snapshotVersionKey({ ...i })).toBe(key);
      }),
    );
  });

  it('changes when the daemon version, the provider or the salt changes', () => {
    fc.assert(
      fc.property(input, input, (a, b) => {
        const same = a.daemonVersion === b.daemonVersion && a.provider === b.provider && (a.salt ?? SNAPSHOT_KEY_SALT) === (b.salt ?? SNAPSHOT_KEY_SALT);
        expect(snapshotVersionKey(a) === snapshotVersionKey(b)).toBe(same);
      }),
    );
  });

  it('keeps the parts apart: moving characters between version and salt gives another key', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), kind, (left, moved, provider) => {
        expect(snapshotVersionKey({ daemonVersion: left + moved, provider, salt: 'x' })).not.toBe(snapshotVersionKey({ daemonVersion: left, provider, salt: moved + 'x' }));
      }),
    );
  });

  it('uses the default salt when none is given', () => {
    expect(snapshotVersionKey({ daemonVersion: '1.2.3', provider: 'e2b' })).toBe(snapshotVersionKey({ daemonVersion: '1.2.3', provider: 'e2b', salt: SNAPSHOT_KEY_SALT }));
  });
});
