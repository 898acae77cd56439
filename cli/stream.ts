import { randomUUID } from 'node:crypto';
import type { LoggedEvent, SessionStatus } from '../shared/contracts/session-events';
import type { Api } from './api';
import { useColor, type Io } from './io';
import { Subscription } from './live';
import { Spinner } from './spinner';
import { Transcript, type Rendered } from './transcript';
import { TurnWatch, WAITS_FOR_SANDBOX, type Outcome } from './turn';

/** After Ctrl-C, how long to wait for the agent to confirm the cancel. */
const CANCEL_WAIT_MS = 5_000;

export interface ChatParams {
  sessionId: string;
  prompt: string;
  /** Send the prompt once subscribed (`session chat`); false when it is in the log already (`session new --prompt`). */
  send: boolean;
  /** Subscribe after this seq: the session's current one, so only what follows is shown. */
  afterSeq: number;
  /** The session's status when the chat begins. */
  status: SessionStatus;
}

/**
 * A prompt and the agent's reply, streamed: the reply to stdout as it arrives, a spinner on stderr while waiting (on a
 * terminal only). Resolves with the exit code: 0 when the reply is complete, 1 when it failed (or the session did),
 * 130 after Ctrl-C. Rejects (with an ApiError) when the server refuses the API key.
 */
export function chat(api: Api, io: Io, p: ChatParams): Promise<number> {
  const transcript = new Transcript({ prompts: false, notices: 'stderr', color: useColor(io) });
  // Sent with an id of its own: the chat knows its prompt in the log, and a resend after a reconnect is harmless.
  const turn = new TurnWatch(p.send ? randomUUID() : null, p.status);
  const spinner = new Spinner(io.err, Boolean(io.err.isTTY));
  const write = writer(io, spinner);
  // On a terminal the spinner says so (and goes away once it runs); elsewhere, a line.
  if (WAITS_FOR_SANDBOX.includes(p.status) && !spinner.enabled) io.err.write('Starting the sandbox…\n');

  return new Promise<number>((resolve, reject) => {
    let done = false;
    let sent = false;
    let cancelling = false;
    let cancelTimer: NodeJS.Timeout | null = null;

    const label = (): string | null => {
      // The spinner shares the terminal with stdout: never in the middle of a line of the reply.
      if (io.out.isTTY && !transcript.atLineStart) return null;
      if (cancelling) return 'Cancelling…';
      if (turn.waitingForSandbox) return 'Starting the sandbox…';
      const now = transcript.activity();
      if (now.tool) return `Working: ${now.tool}`;
      return now.writing ? null : 'Thinking…';
    };
    const refresh = () => {
      if (!done) spinner.set(label());
    };

    const finish = (end: Outcome | Error) => {
      if (done) return;
      done = true;
      unhook();
      if (cancelTimer) clearTimeout(cancelTimer);
      sub.close();
      write(transcript.finish());
      spinner.stop();
      if (end instanceof Error) return reject(end);
      if (end.message) io.err.write(`${end.message}\n`);
      resolve(end.code);
    };

    const sendPrompt = async () => {
      if (await sub.send({ type: 'prompt', sessionId: p.sessionId, content: p.prompt, clientMessageId: turn.clientMessageId! })) sent = true;
    };

    const sub = new Subscription({
      baseUrl: api.baseUrl,
      apiKey: api.apiKey,
      sessionId: p.sessionId,
      afterSeq: p.afterSeq,
      handlers: {
        events(events: LoggedEvent[]) {
          for (const e of events) {
            write(transcript.push([e]));
            const outcome = turn.apply(e.event);
            if (outcome) return finish(outcome);
          }
          refresh();
        },
        subscribed({ reconnected }) {
          // Not in the log yet (never sent, or sent just before the connection dropped): send it (again). The server
          // answers a second send of the same clientMessageId with the first one, so it is never posted twice.
          if (p.send && (!sent || (reconnected && turn.promptId === null))) void sendPrompt();
          refresh();
        },
        refused(error) {
          finish({ code: 1, message: `Error: ${error.message}` });
        },
        failed(error) {
          finish(error);
        },
        reconnecting(attempt) {
          if (attempt !== 1) return;
          spinner.clear();
          io.err.write(`${transcript.atLineStart ? '' : '\n'}Connection lost; reconnecting…\n`);
        },
      },
    });

    const unhook = io.onInterrupt(() => {
      if (cancelling) return finish({ code: 130 });
      cancelling = true;
      turn.requestCancel();
      if (turn.replyId === null) {
        // The agent has not started on this prompt: a cancel would stop whatever it is doing for someone else.
        const queued = sent || turn.promptId !== null;
        return finish({
          code: 130,
          ...(queued ? { message: `Stopped waiting. The prompt stays queued and the agent will answer it: proliferate session log ${p.sessionId}` } : {}),
        });
      }
      void sub.send({ type: 'cancel', sessionId: p.sessionId }).then((ok) => {
        if (!ok) finish({ code: 130 });
      });
      refresh();
      cancelTimer = setTimeout(() => finish({ code: 130 }), CANCEL_WAIT_MS);
    });

    sub.start();
    refresh();
  });
}

/**
 * The transcript from the start, then live until the session ends or Ctrl-C (`session log --follow`). Resolves with
 * the exit code: 0 when the session has ended, 1 when the server refused, 130 after Ctrl-C.
 */
export function follow(api: Api, io: Io, sessionId: string): Promise<number> {
  const transcript = new Transcript({ prompts: true, notices: 'inline', color: useColor(io) });
  const write = writer(io, null);
  return new Promise<number>((resolve, reject) => {
    let done = false;
    const finish = (end: Outcome | Error) => {
      if (done) return;
      done = true;
      unhook();
      sub.close();
      write(transcript.finish());
      if (end instanceof Error) return reject(end);
      if (end.message) io.err.write(`${end.message}\n`);
      resolve(end.code);
    };
    const sub = new Subscription({
      baseUrl: api.baseUrl,
      apiKey: api.apiKey,
      sessionId,
      afterSeq: 0,
      handlers: {
        events(events) {
          write(transcript.push(events));
          if (events.some((e) => e.event.type === 'status' && e.event.status === 'stopped')) finish({ code: 0 });
        },
        subscribed({ status }) {
          if (status === 'stopped') finish({ code: 0 });
        },
        refused(error) {
          finish({ code: 1, message: `Error: ${error.message}` });
        },
        failed(error) {
          finish(error);
        },
        reconnecting(attempt) {
          if (attempt === 1) io.err.write(`${transcript.atLineStart ? '' : '\n'}Connection lost; reconnecting…\n`);
        },
      },
    });
    const unhook = io.onInterrupt(() => finish({ code: 130 }));
    sub.start();
  });
}

/** The transcript as logged so far, page by page over HTTP (reading it starts nothing). */
export async function printLog(api: Api, io: Io, sessionId: string): Promise<number> {
  const transcript = new Transcript({ prompts: true, notices: 'inline', color: useColor(io) });
  const write = writer(io, null);
  const limit = 1000;
  for (let after = 0; ; ) {
    const page = await api.request<{ events: LoggedEvent[]; lastSeq: number }>('GET', `/api/sessions/${encodeURIComponent(sessionId)}/events?after=${after}&limit=${limit}`);
    write(transcript.push(page.events));
    if (page.events.length < limit) break;
    after = page.events[page.events.length - 1].seq;
  }
  write(transcript.finish());
  return 0;
}

function writer(io: Io, spinner: Spinner | null): (r: Rendered) => void {
  return (r) => {
    if (!r.out && !r.err) return;
    spinner?.clear();
    if (r.out) io.out.write(r.out);
    if (r.err) io.err.write(r.err);
  };
}
