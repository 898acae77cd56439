import type { LoggedEvent, SessionEvent } from '../api/session-events';
import { plainText, summarizeEvents } from './event-summary';

const log = (events: SessionEvent[]): LoggedEvent[] => events.map((event, i) => ({ seq: i + 1, at: '2026-01-01T00:00:00.000Z', event }));

describe('summarizeEvents', () => {
  it('keeps one plain line per event that matters, the last few only', () => {
    const lines = summarizeEvents(
      log([
        { type: 'user_message', messageId: 'm', content: 'Fix   the\nbug', senderId: null, source: 'web' },
        { type: 'message', messageId: 'r', role: 'assistant' },
        { type: 'token', messageId: 'r', partId: 'p', text: 'Look' },
        { type: 'text_part_complete', messageId: 'r', partId: 'p', text: 'Updated **`a.ts`**, see [docs](https://x.test) <img src=x><script>alert(1)</script>' },
        { type: 'tool_start', messageId: 'r', toolCallId: 't', tool: 'bash', title: 'npm test', kind: 'execute' },
        { type: 'tool_end', toolCallId: 't', status: 'failed', result: 'exit 1' },
        { type: 'status', status: 'paused' },
      ]),
      4,
    );
    expect(lines.map((l) => [l.icon, l.text, l.tone])).toEqual([
      ['chat', 'Updated a.ts, see docs', 'plain'],
      ['terminal', 'npm test', 'plain'],
      ['warning', 'A tool call failed: exit 1', 'error'],
      ['info', 'Paused', 'plain'],
    ]);
  });

  it('reads markdown as plain words', () => {
    expect(plainText('# Title\n- one `two`\n> quoted ~~old~~ [link](https://a.test)').replace(/\s+/g, ' ').trim()).toBe('Title one two quoted old link');
  });
});
