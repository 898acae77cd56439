import type { SessionEvent, SessionStatus } from '../shared/contracts/session-events';

/** How a chat ends: the exit code, and what to tell the person (on stderr) if the transcript has not said it. */
export interface Outcome {
  code: 0 | 1 | 130;
  message?: string;
}

/** Statuses in which a prompt waits for the sandbox to start (sending it starts the sandbox). */
export const WAITS_FOR_SANDBOX: readonly SessionStatus[] = ['pending', 'paused', 'failed', 'starting'];

/**
 * Follows one prompt through a session's events, to tell when the chat is over. Pure, like the transcript.
 *
 * The prompt is recognised by the `clientMessageId` the chat sent it with, echoed in its `user_message` (or, for the
 * prompt a session was created with, as the log's first `user_message`); the agent's reply is
 * the assistant message the daemon names after it (`<user message id>-reply`). The reply's `message_complete` ends
 * the chat (exit 1 if it stopped on an error), its `message_cancelled` too (130 when this chat asked for it); a
 * failed or stopped session ends it at once, and so does a pause before the reply is complete.
 */
export class TurnWatch {
  /** The id of the prompt's `user_message`, once it is in the log. */
  promptId: string | null = null;
  /** The id of the agent's reply, once it has started. */
  replyId: string | null = null;
  private lastError: string | null = null;
  private cancelRequested = false;

  constructor(
    /** The id the prompt was sent with; null when it went in with the session (its first message). */
    readonly clientMessageId: string | null,
    public status: SessionStatus,
  ) {}

  /** The sandbox is not running yet (or not again): the prompt waits in the queue. */
  get waitingForSandbox(): boolean {
    return this.status !== 'running';
  }

  requestCancel(): void {
    this.cancelRequested = true;
  }

  /** Takes the next event (in sequence order); returns how the chat ends once it is decided. */
  apply(e: SessionEvent): Outcome | null {
    switch (e.type) {
      case 'user_message':
        if (this.promptId === null && (this.clientMessageId === null || e.clientMessageId === this.clientMessageId)) this.promptId = e.messageId;
        return null;
      case 'message':
        if (this.isOurs(e.messageId)) {
          this.replyId = e.messageId;
          this.lastError = null;
        }
        return null;
      case 'error':
        this.lastError = e.message;
        return null;
      case 'status':
        this.status = e.status;
        if (e.status === 'failed') return { code: 1, message: `The sandbox failed${e.message ? `: ${e.message}` : '.'}` };
        if (e.status === 'stopped') return { code: 1, message: `The session has ended${e.message ? ` (${e.message})` : ''}.` };
        if (e.status === 'paused') {
          return { code: 1, message: `The session was paused${e.pauseReason ? ` (${e.pauseReason})` : ''} before the agent finished.` };
        }
        return null;
      case 'message_complete':
        if (!this.isOurs(e.messageId)) return null;
        if (e.stopReason === 'error') return { code: 1, ...(this.lastError ? {} : { message: "The agent's turn ended with an error." }) };
        return { code: 0 };
      case 'message_cancelled':
        if (e.messageId ? !this.isOurs(e.messageId) : this.replyId === null) return null;
        return this.cancelRequested ? { code: 130 } : { code: 1, message: "The agent's turn was cancelled." };
      default:
        return null;
    }
  }

  private isOurs(messageId: string): boolean {
    if (this.promptId === null) return false;
    return messageId === this.replyId || messageId === this.promptId || messageId.startsWith(`${this.promptId}-`);
  }
}
