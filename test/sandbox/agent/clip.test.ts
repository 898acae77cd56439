import fc from 'fast-check';
import { clip, ClippedText } from '../../../shared/sandbox/agent/tools/types';

describe('ClippedText', () => {
  it('gives what clip of the whole text gives, however the text arrives in pieces', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 400 }), { maxLength: 60 }), fc.integer({ min: 10, max: 2_000 }), (pieces, max) => {
        const streamed = new ClippedText(max);
        for (const p of pieces) streamed.push(p);
        expect(streamed.text()).toBe(clip(pieces.join(''), max));
      }),
      { numRuns: 500 },
    );
  });

  it('holds about twice what it keeps, not the whole output', () => {
    const streamed = new ClippedText(1_000);
    for (let i = 0; i < 10_000; i++) streamed.push(`line ${i}\n`);
    const held = (streamed as unknown as { head: string; rest: string }).rest.length + (streamed as unknown as { head: string }).head.length;
    expect(held).toBeLessThanOrEqual(2 * 1_000 + 20);
    expect(streamed.text()).toMatch(/^line 0\n[\s\S]*characters omitted[\s\S]*line 9999\n$/);
  });
});
