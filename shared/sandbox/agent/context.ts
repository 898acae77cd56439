import type { ChatMessage } from './llm-client';

/** Roughly four characters per token for English and code: the budget is kept in characters, no tokenizer needed. */
export const CHARS_PER_TOKEN = 4;

/** Tool results of the latest turns are kept whole; older ones are the first to be shortened. */
const KEEP_RECENT_TURNS = 2;
/** What is left of a shortened tool result: its head, so the model still sees what the call returned. */
const ELIDED_HEAD_CHARS = 400;

/** A message's size as sent (its JSON): the content, plus what names its role, call ids and tool calls. */
const size = (m: ChatMessage): number => {
  let n = 32 + (m.content?.length ?? 0);
  if (m.role === 'tool') n += 20 + m.tool_call_id.length;
  if (m.role === 'assistant') for (const c of m.tool_calls ?? []) n += 64 + c.id.length + c.function.name.length + c.function.arguments.length;
  return n;
};

/**
 * The messages a model call gets when the whole conversation would not fit in `budgetChars`: the conversation itself
 * is never changed (it is saved whole), only what is sent. First, tool results of turns before the latest few are cut
 * to their head; then whole turns (a user message and what followed it, so every tool result still follows the
 * assistant message that called it) are left out from the oldest, always keeping the first prompt (the task) and the
 * current turn, with a note saying how many turns are not shown.
 */
export function fitContext(messages: ChatMessage[], budgetChars: number): ChatMessage[] {
  const total = (ms: ChatMessage[]) => ms.reduce((n, m) => n + size(m), 0);
  if (total(messages) <= budgetChars) return messages;

  // Turn boundaries: the index of each user message.
  const starts = messages.flatMap((m, i) => (m.role === 'user' ? [i] : []));
  const recentFrom = starts.length > KEEP_RECENT_TURNS ? starts[starts.length - KEEP_RECENT_TURNS] : 0;
  let fitted = messages.map((m, i) => {
    if (i >= recentFrom || m.role !== 'tool' || m.content.length <= ELIDED_HEAD_CHARS * 2) return m;
    return { ...m, content: `${m.content.slice(0, ELIDED_HEAD_CHARS)}\n[… ${m.content.length - ELIDED_HEAD_CHARS} more characters not shown to save context; run the tool again if you need them]` };
  });
  if (total(fitted) <= budgetChars || starts.length < 3) return fitted;

  // Leave out whole turns after the first, oldest first, while the current turn is kept.
  const first = fitted.slice(0, starts[1]);
  let dropped = 0;
  for (let t = 1; t < starts.length - 1; t++) {
    const kept = fitted.slice(starts[t + 1]);
    dropped = t;
    const note: ChatMessage = { role: 'user', content: `[${dropped} earlier turn${dropped === 1 ? '' : 's'} of this conversation not shown to fit the context window.]` };
    const candidate = [...first, note, ...kept];
    if (total(candidate) <= budgetChars || t === starts.length - 2) {
      fitted = candidate;
      break;
    }
  }
  return fitted;
}
