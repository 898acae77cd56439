import type { SessionEvent } from '../../contracts/session-events';
import type { DaemonState, StateStore } from './state-store';

export interface NumberedEvent {
  dseq: number;
  event: SessionEvent;
}

const MAX_BATCH_EVENTS = 500;
/** API Gateway WebSocket messages are limited to 128 KiB; stay well below. */
const MAX_BATCH_BYTES = 96 * 1024;

/**
 * The ordered buffer of events not yet acknowledged by the server. Each event gets the next daemon sequence number
 * (dseq) when it is appended, and the number is saved before the event can be sent, so a restarted daemon continues
 * numbering. Events stay until an `ack` covers them; after a reconnect every unacknowledged event is sent again with
 * its original dseq (the server logs each dseq once).
 */
export class Outbox {
  private pending: NumberedEvent[] = [];
  private state: DaemonState;
  /** Highest dseq written to the current connection. */
  private sentUpTo = 0;

  constructor(
    private readonly store: StateStore,
    private readonly onAppend: () => void = () => {},
  ) {
    this.state = store.loadState();
  }

  get lastAckedDseq(): number {
    return this.state.lastAckedDseq;
  }

  get lastDseq(): number {
    return this.state.lastDseq;
  }

  get unacked(): number {
    return this.pending.length;
  }

  append(event: SessionEvent): number {
    const dseq = ++this.state.lastDseq;
    this.store.saveState(this.state);
    this.pending.push({ dseq, event });
    this.onAppend();
    return dseq;
  }

  /** Acks are cumulative: everything up to `dseq` is logged. */
  ack(dseq: number): void {
    if (dseq <= this.state.lastAckedDseq) return;
    this.state.lastAckedDseq = Math.min(dseq, this.state.lastDseq);
    let drop = 0;
    while (drop < this.pending.length && this.pending[drop].dseq <= dseq) drop++;
    if (drop) this.pending.splice(0, drop);
    this.store.saveState(this.state);
  }

  /**
   * A new connection was welcomed: forget what the server already has, and send the rest again from the start.
   * If the server knows a higher number than this daemon ever handed out, the daemon's state was lost (a fresh home):
   * its unsent events are renumbered after the server's so none is mistaken for a duplicate.
   */
  welcome(serverLastAcked: number): void {
    if (serverLastAcked > this.state.lastDseq) {
      let next = serverLastAcked;
      this.pending = this.pending.map((p) => ({ dseq: ++next, event: p.event }));
      this.state.lastDseq = next;
      this.state.lastAckedDseq = serverLastAcked;
      this.store.saveState(this.state);
    } else {
      this.ack(serverLastAcked);
    }
    this.sentUpTo = this.state.lastAckedDseq;
  }

  /** The connection dropped: nothing is in flight any more. */
  disconnected(): void {
    this.sentUpTo = this.state.lastAckedDseq;
  }

  /** The next batch to send on the current connection (marks it as sent). */
  nextBatch(): NumberedEvent[] {
    const start = this.pending.findIndex((p) => p.dseq > this.sentUpTo);
    if (start < 0) return [];
    const batch: NumberedEvent[] = [];
    let bytes = 0;
    for (let i = start; i < this.pending.length && batch.length < MAX_BATCH_EVENTS; i++) {
      const size = JSON.stringify(this.pending[i]).length;
      if (batch.length && bytes + size > MAX_BATCH_BYTES) break;
      batch.push(this.pending[i]);
      bytes += size;
    }
    this.sentUpTo = batch[batch.length - 1].dseq;
    return batch;
  }

  isAccepted(promptId: string): boolean {
    return this.state.acceptedPromptIds.includes(promptId);
  }

  markAccepted(promptId: string): void {
    this.state.acceptedPromptIds = [...this.state.acceptedPromptIds, promptId].slice(-200);
    this.store.saveState(this.state);
  }
}
