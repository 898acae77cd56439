import { WEB_SOCKET_FACTORY } from '../app/core/realtime.service';

/** Stands in for the browser's WebSocket: tests open it, push frames into it and drop it. */
export class FakeSocket {
  static all: FakeSocket[] = [];
  onopen: ((e: Event) => void) | null = null;
  onmessage: ((e: MessageEvent) => void) | null = null;
  onclose: ((e: CloseEvent) => void) | null = null;
  closed = false;
  readonly sent: string[] = [];

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }

  static last(): FakeSocket {
    const socket = FakeSocket.all.at(-1);
    if (!socket) throw new Error('no socket was opened');
    return socket;
  }

  send(data: string): void {
    this.sent.push(data);
  }

  close(): void {
    this.closed = true;
  }

  open(): void {
    this.onopen?.(new Event('open'));
  }

  receive(message: unknown): void {
    this.onmessage?.(new MessageEvent('message', { data: typeof message === 'string' ? message : JSON.stringify(message) }));
  }

  drop(): void {
    this.onclose?.(new CloseEvent('close'));
  }
}

export const fakeSocketProvider = {
  provide: WEB_SOCKET_FACTORY,
  useValue: (url: string) => new FakeSocket(url) as unknown as WebSocket,
};
