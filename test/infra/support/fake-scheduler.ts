import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SchedulerRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | null;
}

export interface StoredSchedule {
  group: string;
  name: string;
  body: Record<string, unknown>;
}

/**
 * EventBridge Scheduler's REST-JSON API on 127.0.0.1, enough of it for one-off schedules: CreateSchedule
 * (`POST /schedules/{Name}`), UpdateSchedule (`PUT`), DeleteSchedule (`DELETE`, group in `?groupName=`) and
 * GetSchedule (`GET`), with the service's errors (`x-amzn-errortype` header and a `Message` body). Schedules live in
 * memory per group; `fail` makes the next requests answer an error instead.
 */
export class FakeScheduler {
  readonly requests: SchedulerRequest[] = [];
  readonly schedules = new Map<string, StoredSchedule>();
  /**
   * Answers the next request of each method listed with its error, once each; `meanwhile` runs first (e.g. Scheduler
   * deleting a schedule that just fired).
   */
  readonly failures: { method: string; status: number; type: string; meanwhile?: () => void }[] = [];
  url = '';
  private server: Server | undefined;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const text = Buffer.concat(chunks).toString('utf8');
        const request: SchedulerRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: req.headers,
          body: text ? (JSON.parse(text) as Record<string, unknown>) : null,
        };
        this.requests.push(request);
        const { status, type, payload } = this.answer(request);
        res.writeHead(status, { 'content-type': 'application/json', ...(type ? { 'x-amzn-errortype': type } : {}) });
        res.end(JSON.stringify(payload));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  get(group: string, name: string): StoredSchedule | undefined {
    return this.schedules.get(`${group}/${name}`);
  }

  private answer(req: SchedulerRequest): { status: number; type?: string; payload: unknown } {
    const error = (status: number, type: string, message: string) => ({ status, type, payload: { Message: message } });
    const failure = this.failures.findIndex((f) => f.method === req.method);
    if (failure >= 0) {
      const [f] = this.failures.splice(failure, 1);
      f.meanwhile?.();
      return error(f.status, f.type, `${f.type} from the fake`);
    }
    const match = /^\/schedules\/([^/]+)$/.exec(req.path);
    if (!match) return error(404, 'UnknownOperationException', `no operation at ${req.method} ${req.path}`);
    const name = decodeURIComponent(match[1]);
    if (!/^[0-9a-zA-Z-_.]{1,64}$/.test(name)) return error(400, 'ValidationException', `invalid name ${name}`);
    const group = (req.method === 'POST' || req.method === 'PUT' ? (req.body?.GroupName as string) : req.query.groupName) ?? 'default';
    const key = `${group}/${name}`;
    const arn = `arn:aws:scheduler:eu-west-1:123456789012:schedule/${group}/${name}`;
    switch (req.method) {
      case 'POST':
      case 'PUT': {
        const problem = invalid(req.body);
        if (problem) return error(400, 'ValidationException', problem);
        if (req.method === 'POST' && this.schedules.has(key)) return error(409, 'ConflictException', `Schedule ${name} already exists.`);
        if (req.method === 'PUT' && !this.schedules.has(key)) return error(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
        this.schedules.set(key, { group, name, body: req.body! });
        return { status: 200, payload: { ScheduleArn: arn } };
      }
      case 'DELETE':
        if (!this.schedules.delete(key)) return error(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
        return { status: 200, payload: {} };
      case 'GET': {
        const found = this.schedules.get(key);
        if (!found) return error(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
        return { status: 200, payload: { ...found.body, Name: name, Arn: arn } };
      }
      default:
        return error(405, 'UnknownOperationException', `no ${req.method}`);
    }
  }
}

/** The service's own checks on a schedule body that matter here. */
function invalid(body: Record<string, unknown> | null): string | undefined {
  if (!body) return 'a body is required';
  const target = body.Target as Record<string, unknown> | undefined;
  if (typeof body.ScheduleExpression !== 'string' || !/^(at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)|rate\(.+\)|cron\(.+\))$/.test(body.ScheduleExpression)) {
    return 'Invalid Schedule Expression';
  }
  if (!(body.FlexibleTimeWindow as { Mode?: string } | undefined)?.Mode) return 'FlexibleTimeWindow is required';
  if (!target || typeof target.Arn !== 'string' || typeof target.RoleArn !== 'string') return 'Target.Arn and Target.RoleArn are required';
  return undefined;
}
