import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { EventBridgeScheduler } from '../../../shared/adapters/aws/eventbridge-scheduler';
import { NotWiredError } from '../../../shared/adapters/aws/errors';
import { FakeScheduler } from '../support/fake-scheduler';

const SETTINGS = {
  groupName: 'proliferate-runtime',
  roleArn: 'arn:aws:iam::123456789012:role/proliferate-scheduler-delivery',
  queueArns: { sessions: 'arn:aws:sqs:eu-west-1:123456789012:proliferate-sessions' },
};
const BODY = { id: 'schedule-session-check-ses_1', topic: 'session.command', payload: { sessionId: 'ses_1', command: 'check' } };

describe('EventBridgeScheduler against a Scheduler REST-JSON endpoint on 127.0.0.1', () => {
  let fake: FakeScheduler;
  let scheduler: EventBridgeScheduler;

  beforeAll(async () => {
    fake = await new FakeScheduler().start();
    // The real SDK client, signing and serialising as it would against AWS, pointed at the fake.
    const client = new SchedulerClient({
      endpoint: fake.url,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 1,
    });
    scheduler = new EventBridgeScheduler(SETTINGS, client);
  });
  afterAll(async () => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
    fake.schedules.clear();
    fake.failures.length = 0;
  });

  it('creates a one-time UTC schedule, rounded up to the second, that sends the body to the queue and deletes itself', async () => {
    // Act
    await scheduler.at('session-check-ses_1', new Date('2026-03-06T09:15:30.250Z'), { queue: 'sessions', body: BODY });

    // Assess
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /schedules/session-check-ses_1']);
    const [request] = fake.requests;
    expect(request.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/scheduler\/aws4_request/);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toEqual({
      GroupName: 'proliferate-runtime',
      ScheduleExpression: 'at(2026-03-06T09:15:31)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      State: 'ENABLED',
      Target: {
        Arn: SETTINGS.queueArns.sessions,
        RoleArn: SETTINGS.roleArn,
        Input: JSON.stringify(BODY),
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
      },
      ClientToken: expect.any(String),
    });
    expect(fake.get('proliferate-runtime', 'session-check-ses_1')).toBeDefined();
  });

  it('replaces a schedule of the same name: Create answers ConflictException, Update replaces it', async () => {
    await scheduler.at('session-check-ses_2', new Date('2026-03-06T09:00:00Z'), { queue: 'sessions', body: BODY });

    await scheduler.at('session-check-ses_2', new Date('2026-03-06T10:00:00Z'), { queue: 'sessions', body: { ...BODY, id: 'later' } });

    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /schedules/session-check-ses_2',
      'POST /schedules/session-check-ses_2',
      'PUT /schedules/session-check-ses_2',
    ]);
    const stored = fake.get('proliferate-runtime', 'session-check-ses_2')!.body;
    expect(stored.ScheduleExpression).toBe('at(2026-03-06T10:00:00)');
    expect(JSON.parse((stored.Target as { Input: string }).Input).id).toBe('later');
    expect(fake.schedules.size).toBe(1);
  });

  it('creates again when the schedule fired and was deleted between Create and Update', async () => {
    await scheduler.at('session-check-ses_3', new Date('2026-03-06T09:00:00Z'), { queue: 'sessions', body: BODY });
    // The schedule fires and Scheduler deletes it (ActionAfterCompletion DELETE) just before the Update arrives.
    fake.failures.push({
      method: 'PUT',
      status: 404,
      type: 'ResourceNotFoundException',
      meanwhile: () => fake.schedules.delete('proliferate-runtime/session-check-ses_3'),
    });

    await scheduler.at('session-check-ses_3', new Date('2026-03-06T11:00:00Z'), { queue: 'sessions', body: BODY });

    expect(fake.requests.slice(1).map((r) => r.method)).toEqual(['POST', 'PUT', 'POST']);
    expect(fake.get('proliferate-runtime', 'session-check-ses_3')!.body.ScheduleExpression).toBe('at(2026-03-06T11:00:00)');
  });

  it('cancels by deleting in the group; a schedule that is not there is already cancelled', async () => {
    await scheduler.at('session-check-ses_4', new Date('2026-03-06T09:00:00Z'), { queue: 'sessions', body: BODY });

    await scheduler.cancel('session-check-ses_4');
    await scheduler.cancel('session-check-ses_4');

    const deletes = fake.requests.filter((r) => r.method === 'DELETE');
    expect(deletes.map((r) => [r.path, r.query.groupName])).toEqual([
      ['/schedules/session-check-ses_4', 'proliferate-runtime'],
      ['/schedules/session-check-ses_4', 'proliferate-runtime'],
    ]);
    expect(fake.schedules.size).toBe(0);
  });

  it('lets other errors through: access denied, validation, throttling', async () => {
    fake.failures.push({ method: 'DELETE', status: 403, type: 'AccessDeniedException' });
    await expect(scheduler.cancel('session-check-ses_5')).rejects.toMatchObject({ name: 'AccessDeniedException' });

    fake.failures.push({ method: 'POST', status: 400, type: 'ValidationException' });
    await expect(scheduler.at('session-check-ses_5', new Date(), { queue: 'sessions', body: BODY })).rejects.toMatchObject({ name: 'ValidationException' });

    fake.failures.push({ method: 'POST', status: 409, type: 'ConflictException' }, { method: 'PUT', status: 429, type: 'ThrottlingException' });
    await expect(scheduler.at('session-check-ses_5', new Date(), { queue: 'sessions', body: BODY })).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  it('refuses, before any request, a queue it may not deliver to, a bad name, and a function without scheduler access', async () => {
    await expect(scheduler.at('x', new Date(), { queue: 'mail', body: {} })).rejects.toThrow(/queue 'mail'.*scheduled/);
    await expect(scheduler.at('no spaces please', new Date(), { queue: 'sessions', body: {} })).rejects.toThrow(RangeError);
    const unwired = new EventBridgeScheduler({ queueArns: {} });
    await expect(unwired.cancel('x')).rejects.toThrow(NotWiredError);
    await expect(unwired.cancel('x')).rejects.toThrow(/'scheduler'/);
    expect(fake.requests).toEqual([]);
  });
});
