import type { SessionEvent } from '../../shared/contracts/session-events';
import { TurnWatch } from '../../cli/turn';
import { ago, clip } from '../../cli/table';

const prompt: SessionEvent = { type: 'user_message', messageId: 'msg_2', content: 'Fix the test', senderId: 'u1', source: 'cli', clientMessageId: 'c-2' };
const reply = (id = 'msg_2-reply'): SessionEvent => ({ type: 'message', messageId: id, role: 'assistant' });

function run(watch: TurnWatch, events: SessionEvent[]) {
  for (const e of events) {
    const outcome = watch.apply(e);
    if (outcome) return outcome;
  }
  return null;
}

describe('TurnWatch: when a chat is over', () => {
  it('ends with 0 at the reply’s message_complete, not at the end of someone else’s turn before it', () => {
    const w = new TurnWatch('c-2', 'running');
    expect(
      run(w, [
        { type: 'user_message', messageId: 'msg_1', content: 'Something else', senderId: 'u2', source: 'web' },
        prompt,
        reply('msg_1-reply'),
        { type: 'message_complete', messageId: 'msg_1-reply', stopReason: 'end_turn' },
        reply(),
      ]),
    ).toBeNull();
    expect(w.promptId).toBe('msg_2');
    expect(w.replyId).toBe('msg_2-reply');
    expect(w.apply({ type: 'message_complete', messageId: 'msg_2-reply', stopReason: 'end_turn' })).toEqual({ code: 0 });
  });

  it('knows its prompt by the clientMessageId it sent, not by its text; a session’s first prompt by its place', () => {
    const w = new TurnWatch('c-2', 'running');
    const sameText: SessionEvent = { type: 'user_message', messageId: 'msg_1', content: 'Fix the test', senderId: 'u2', source: 'web', clientMessageId: 'theirs' };
    expect(run(w, [sameText, reply('msg_1-reply'), { type: 'message_complete', messageId: 'msg_1-reply' }, prompt])).toBeNull();
    expect(w.promptId).toBe('msg_2');
    const first = new TurnWatch(null, 'starting');
    expect(run(first, [{ type: 'user_message', messageId: 'msg_0', content: 'Set it up', senderId: 'u1', source: 'cli' }, reply('msg_0-reply')])).toBeNull();
    expect([first.promptId, first.replyId]).toEqual(['msg_0', 'msg_0-reply']);
  });

  it('ends with 1 when the reply stops on an error (the error event says why; without one, the outcome does)', () => {
    const w = new TurnWatch('c-2', 'running');
    expect(run(w, [prompt, reply(), { type: 'error', message: 'The model is unreachable', code: 'agent_error' }, { type: 'message_complete', messageId: 'msg_2-reply', stopReason: 'error' }])).toEqual({ code: 1 });
    const bare = new TurnWatch('c-2', 'running');
    expect(run(bare, [prompt, reply(), { type: 'message_complete', messageId: 'msg_2-reply', stopReason: 'error' }])).toEqual({ code: 1, message: "The agent's turn ended with an error." });
  });

  it('goes on after an error that does not end the turn (the agent was restarted, then answers)', () => {
    const w = new TurnWatch('c-2', 'running');
    expect(run(w, [prompt, reply(), { type: 'error', message: 'The agent had stopped', code: 'agent_restarted' }])).toBeNull();
    expect(w.apply({ type: 'message_complete', messageId: 'msg_2-reply' })).toEqual({ code: 0 });
  });

  it('ends with 130 at the cancellation it asked for, with 1 at one it did not', () => {
    const w = new TurnWatch('c-2', 'running');
    run(w, [prompt, reply()]);
    w.requestCancel();
    expect(w.apply({ type: 'message_cancelled', messageId: 'msg_2-reply' })).toEqual({ code: 130 });
    const other = new TurnWatch('c-2', 'running');
    expect(run(other, [prompt, reply(), { type: 'message_cancelled' }])).toEqual({ code: 1, message: "The agent's turn was cancelled." });
  });

  it('waits for the sandbox, and ends with 1 when it fails, stops, or is paused', () => {
    const w = new TurnWatch('c-2', 'paused');
    expect(w.waitingForSandbox).toBe(true);
    expect(run(w, [prompt, { type: 'status', status: 'starting', message: 'Resuming the sandbox' }])).toBeNull();
    expect(w.waitingForSandbox).toBe(true);
    expect(w.apply({ type: 'status', status: 'running' })).toBeNull();
    expect(w.waitingForSandbox).toBe(false);
    expect(new TurnWatch('c-x', 'pending').apply({ type: 'status', status: 'failed', message: 'no space left' })).toEqual({ code: 1, message: 'The sandbox failed: no space left' });
    expect(new TurnWatch('c-x', 'running').apply({ type: 'status', status: 'stopped' })).toEqual({ code: 1, message: 'The session has ended.' });
    expect(new TurnWatch('c-x', 'running').apply({ type: 'status', status: 'paused', pauseReason: 'manual' })?.code).toBe(1);
  });
});

describe('table helpers', () => {
  it('says how long ago, the way people do', () => {
    const now = Date.parse('2025-03-10T12:00:00Z');
    expect(ago('2025-03-10T11:59:30Z', now)).toBe('just now');
    expect(ago('2025-03-10T11:55:00Z', now)).toBe('5 min ago');
    expect(ago('2025-03-10T09:00:00Z', now)).toBe('3 h ago');
    expect(ago('2025-03-08T12:00:00Z', now)).toBe('2 d ago');
    expect(ago('2025-01-01T12:00:00Z', now)).toBe('2025-01-01');
  });

  it('clips long text to one line', () => {
    expect(clip('short', 10)).toBe('short');
    expect(clip('a rather\nlong title here', 12)).toBe('a rather lo…');
    expect(clip(null, 5)).toBeNull();
  });
});
