import { activeSeconds } from './session-labels';

describe('activeSeconds', () => {
  it('adds the running stretch to what the server has counted', () => {
    const now = Date.parse('2026-11-26T10:05:00Z');
    expect(activeSeconds({ metrics: { activeSeconds: 100 }, runningSince: '2026-11-26T10:00:00Z' }, now)).toBe(400);
    expect(activeSeconds({ metrics: { activeSeconds: 100 }, runningSince: null }, now)).toBe(100);
    // A clock behind the server never counts backwards.
    expect(activeSeconds({ metrics: { activeSeconds: 7 }, runningSince: '2026-11-26T10:10:00Z' }, now)).toBe(7);
  });
});
