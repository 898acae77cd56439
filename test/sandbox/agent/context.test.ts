import fc from 'fast-check';
import { fitContext } from '../../../shared/sandbox/agent/context';
import type { ChatMessage } from '../../../shared/sandbox/agent/llm-client';

/** A turn: a prompt, then steps of an assistant message with tool calls and their results, then an answer. */
function turn(n: number, steps: number, outputChars: number): ChatMessage[] {
  const out: ChatMessage[] = [{ role: 'user', content: `prompt ${n}` }];
  for (let s = 0; s < steps; s++) {
    const id = `call_${n}_${s}`;
    out.push({ role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'run_command', arguments: `{"command":"step ${s}"}` } }] });
    out.push({ role: 'tool', tool_call_id: id, content: `${n}:${s}:`.padEnd(outputChars, 'x') });
  }
  out.push({ role: 'assistant', content: `answer ${n}` });
  return out;
}

const chars = (ms: ChatMessage[]) => JSON.stringify(ms).length;

/** Every tool result follows the assistant message that called it, as chat-completions APIs require. */
function wellFormed(ms: ChatMessage[]): boolean {
  const open = new Set<string>();
  for (const m of ms) {
    if (m.role === 'user') open.clear();
    if (m.role === 'assistant') for (const c of m.tool_calls ?? []) open.add(c.id);
    if (m.role === 'tool' && !open.delete(m.tool_call_id)) return false;
  }
  return true;
}

describe('fitContext', () => {
  it('sends a conversation that fits as it is', () => {
    const conversation = [...turn(1, 2, 100), ...turn(2, 1, 100)];
    expect(fitContext(conversation, 100_000)).toBe(conversation);
  });

  it('first cuts old tool results to their head, keeping the latest turns whole', () => {
    const conversation = [...turn(1, 3, 20_000), ...turn(2, 1, 20_000), ...turn(3, 1, 20_000)];
    const fitted = fitContext(conversation, 50_000);
    const results = fitted.filter((m) => m.role === 'tool').map((m) => m.content);
    expect(results.slice(0, 3).every((c) => c.length < 600 && c.includes('more characters not shown'))).toBe(true);
    expect(results.slice(3).map((c) => c.length)).toEqual([20_000, 20_000]);
    expect(fitted.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(['prompt 1', 'prompt 2', 'prompt 3']);
    // The conversation itself is untouched.
    expect(conversation.filter((m) => m.role === 'tool').every((m) => m.content.length === 20_000)).toBe(true);
  });

  it('then leaves out whole turns after the first, oldest first, and says so', () => {
    const conversation = Array.from({ length: 30 }, (_, i) => turn(i + 1, 4, 3_000)).flat();
    const fitted = fitContext(conversation, 40_000);
    const prompts = fitted.filter((m) => m.role === 'user').map((m) => m.content);
    expect(prompts[0]).toBe('prompt 1');
    expect(prompts[1]).toMatch(/^\[\d+ earlier turns of this conversation not shown to fit the context window\.\]$/);
    expect(prompts.at(-1)).toBe('prompt 30');
    expect(wellFormed(fitted)).toBe(true);
  });

  it('whatever the conversation: keeps the task and the current turn, stays well-formed, and fits when it can', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 5_000 })), { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 2_000, max: 200_000 }),
        (shape, budget) => {
          const turns = shape.map(([steps, size], i) => turn(i + 1, steps, size));
          const conversation = turns.flat();
          const fitted = fitContext(conversation, budget);
          expect(wellFormed(fitted)).toBe(true);
          expect(fitted[0]).toEqual(conversation[0]);
          const current = turns.at(-1)!;
          const currentStart = fitted.findIndex((m) => m.role === 'user' && m.content === current[0].content);
          expect(currentStart).toBeGreaterThanOrEqual(0);
          expect(fitted.slice(currentStart).length).toBe(current.length);
          // It fits (give or take the estimate) unless the first and the current turn alone, with the note about
          // what was left out, are already too big.
          const floor = fitContext([...turns[0], ...(turns.length > 1 ? current : [])], 0);
          if (chars(floor) + 200 < budget) expect(chars(fitted)).toBeLessThanOrEqual(budget * 1.1);
        },
      ),
      { numRuns: 300 },
    );
  });
});
