import fc from 'fast-check';
import { shouldPullOnResume } from '../../../shared/sandbox/git-freshness';

const now = new Date('2026-11-26T12:00:00Z').getTime();
const situation = fc.record({
  hasSnapshot: fc.boolean(),
  repoCount: fc.integer({ min: -1, max: 5 }),
  cadenceSeconds: fc.integer({ min: -10, max: 86_400 }),
  lastFetchAt: fc.option(fc.integer({ min: now - 2 * 86_400_000, max: now + 60_000 }), { nil: null }),
});

describe('shouldPullOnResume', () => {
  it('never pulls without a snapshot or without repos', () => {
    fc.assert(
      fc.property(situation, (s) => {
        fc.pre(!s.hasSnapshot || s.repoCount <= 0);
        expect(shouldPullOnResume({ ...s, now })).toBe(false);
      }),
    );
  });

  it('with a snapshot and repos, pulls when the cadence is 0 or less, when no fetch was recorded, or when the last one is older than the cadence', () => {
    fc.assert(
      fc.property(situation, (s) => {
        fc.pre(s.hasSnapshot && s.repoCount > 0);
        const expected = s.cadenceSeconds <= 0 || s.lastFetchAt === null || now - s.lastFetchAt > s.cadenceSeconds * 1000;
        expect(shouldPullOnResume({ ...s, now })).toBe(expected);
      }),
    );
  });

  it('takes dates as well as epoch milliseconds, and does not pull exactly at the cadence', () => {
    const base = { hasSnapshot: true, repoCount: 1, cadenceSeconds: 3600 };
    expect(shouldPullOnResume({ ...base, lastFetchAt: new Date(now - 3_600_000), now: new Date(now) })).toBe(false);
    expect(shouldPullOnResume({ ...base, lastFetchAt: new Date(now - 3_600_001), now: new Date(now) })).toBe(true);
    expect(shouldPullOnResume({ ...base, lastFetchAt: undefined, now })).toBe(true);
  });
});
