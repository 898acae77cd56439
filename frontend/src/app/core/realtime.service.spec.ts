import { TestBed } from '@angular/core/testing';
import { FakeSocket, fakeSocketProvider } from '../../testing/fake-socket';
import type { OrgEventMessage } from '../api/types';
import { Realtime } from './realtime.service';

describe('Realtime', () => {
  let realtime: Realtime;

  beforeEach(() => {
    FakeSocket.all = [];
    vi.useFakeTimers();
    TestBed.configureTestingModule({ providers: [fakeSocketProvider] });
    realtime = TestBed.inject(Realtime);
  });

  afterEach(() => {
    realtime.disconnect();
    vi.useRealTimers();
  });

  it('connects to /ws on the same origin and passes on the events of one organisation', () => {
    const events: OrgEventMessage[] = [];
    realtime.orgEvents('org_1').subscribe((e) => events.push(e));
    realtime.connect();
    const socket = FakeSocket.last();
    expect(socket.url).toBe(`ws://${location.host}/ws`);
    socket.open();
    expect(realtime.state()).toBe('open');

    socket.receive({ type: 'hello', connectionId: 'c1', userId: 'u1', organizationId: 'org_1' });
    socket.receive({ type: 'org.event', event: 'member.joined', organizationId: 'org_1', data: { userId: 'u2' } });
    socket.receive({ type: 'org.event', event: 'member.joined', organizationId: 'org_2', data: {} });
    socket.receive({ type: 'org.event', organizationId: 'org_1' });
    socket.receive('not json');

    expect(events).toEqual([{ type: 'org.event', event: 'member.joined', organizationId: 'org_1', data: { userId: 'u2' } }]);
  });

  it('reconnects with growing delays after the connection drops, until told to stop', () => {
    realtime.connect();
    FakeSocket.last().drop();
    expect(FakeSocket.all).toHaveLength(1);

    vi.advanceTimersByTime(1_000);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.last().drop();

    vi.advanceTimersByTime(900);
    expect(FakeSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(1_200);
    expect(FakeSocket.all).toHaveLength(3);

    // A successful open resets the backoff.
    FakeSocket.last().open();
    FakeSocket.last().drop();
    vi.advanceTimersByTime(1_000);
    expect(FakeSocket.all).toHaveLength(4);

    realtime.disconnect();
    expect(FakeSocket.last().closed).toBe(true);
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(4);
  });

  it('pings every few minutes while open so idle connections are not dropped', () => {
    realtime.connect();
    const socket = FakeSocket.last();
    socket.open();
    vi.advanceTimersByTime(5 * 60_000);
    expect(socket.sent).toEqual(['{"type":"ping"}']);
    realtime.disconnect();
    vi.advanceTimersByTime(10 * 60_000);
    expect(socket.sent).toHaveLength(1);
  });

  it('replaces the socket when asked to connect again', () => {
    realtime.connect();
    const first = FakeSocket.last();
    realtime.connect();
    expect(first.closed).toBe(true);
    expect(FakeSocket.all).toHaveLength(2);
  });
});
