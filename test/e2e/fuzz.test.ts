import fc from 'fast-check';
import { allRoutes } from '../../shared/contracts/openapi';
import type { RouteContract } from '../../shared/contracts/route';
import { Client, signUpVerified, startRuntime, type TestRuntime } from '../support/runtime';

let rt: TestRuntime;
let owner: Client;

beforeAll(async () => {
  rt = await startRuntime();
  owner = await signUpVerified(rt.url, 'Fuzz Owner', 'fuzz@fuzz.example');
  await owner.post('/api/orgs', { name: 'Fuzz' });
});
afterAll(async () => rt?.stop());

const routes: [string, RouteContract][] = Object.values(allRoutes).flatMap((group) => Object.entries(group));

/** Bodies a careless or hostile client might send: any JSON, broken JSON, wrong shapes, huge strings. */
const bodyArb = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom('{', '{"name":', '[]', 'null', '"x"', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{}}}'),
  fc.dictionary(fc.constantFrom('name', 'email', 'role', 'slug', 'userId', 'allowedDomains', 'expiresInDays', 'extra'), fc.anything()).map((o) => JSON.stringify(o)),
  fc.string({ minLength: 5000, maxLength: 20000 }).map((s) => JSON.stringify({ name: s, email: s })),
);
const queryArb = fc.dictionary(fc.constantFrom('status', 'q', 'limit', 'offset', 'to', 'x', '__proto__'), fc.string({ maxLength: 30 }), { maxKeys: 3 });
const headerArb = fc.record(
  {
    'content-type': fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', ''),
    'x-org-id': fc.oneof(fc.string({ maxLength: 40 }).filter((s) => /^[\x21-\x7e]*$/.test(s)), fc.constant('org_nope')),
  },
  { requiredKeys: [] },
);
const paramArb = fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.constantFrom('%', '..', '%2e%2e', 'a'.repeat(300), '0', "'; drop table member; --"));

function fill(path: string, value: string) {
  return path.replace(/\{\w+\}/g, () => encodeURIComponent(value));
}

describe('every route under random and malformed input', () => {
  it.each(routes.map(([name, c]) => [`${c.method} ${c.path}`, name, c] as const))('%s never answers 5xx; a 400 names the field', async (_label, _name, contract) => {
    await fc.assert(
      fc.asyncProperty(bodyArb, queryArb, headerArb, paramArb, async (body, query, headers, param) => {
        const qs = new URLSearchParams(query).toString();
        const path = fill(contract.path, param) + (qs ? `?${qs}` : '');
        const hasBody = contract.method !== 'GET' && contract.method !== 'DELETE';
        const res = await owner.request(contract.method, path, hasBody ? body : undefined, headers as Record<string, string>);
        expect(res.status).toBeLessThan(500);
        expect(res.status).toBeGreaterThanOrEqual(200);
        if (res.status >= 400) {
          expect(res.body?.error?.code).toEqual(expect.any(String));
          expect(res.body.error.message).toEqual(expect.any(String));
        }
        if (res.status === 400) {
          expect(res.body.error.fields.length).toBeGreaterThan(0);
          for (const f of res.body.error.fields) expect(f.field).toMatch(/^(body|query|params|headers)(\.|$)/);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('keeps working afterwards: the organisation and its owner are intact', async () => {
    const members = await owner.get('/api/org/members');
    expect(members.status).toBe(200);
    expect(members.body.members).toEqual([expect.objectContaining({ email: 'fuzz@fuzz.example', role: 'owner' })]);
  });

  it('names the field for typical mistakes', async () => {
    const bad = await owner.post('/api/org/invitations', { email: 'not-an-email', role: 'owner', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.map((f: any) => f.field).sort()).toEqual(['body.email', 'body.extra', 'body.role']);
    const badQuery = await owner.get('/api/org/invitations?status=bogus');
    expect(badQuery.body.error.fields).toEqual([expect.objectContaining({ field: 'query.status' })]);
    const badJson = await owner.request('POST', '/api/orgs', '{"name":');
    expect(badJson.body.error.fields).toEqual([{ field: 'body', message: 'must be valid JSON' }]);
  });

  it('keeps better-auth routes below 5xx under malformed bodies', async () => {
    const paths = ['/api/auth/sign-up/email', '/api/auth/sign-in/email', '/api/auth/send-verification-email', '/api/auth/organization/set-active'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), bodyArb, async (path, body) => {
        const res = await new Client(rt.url).request('POST', path, body);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 40 },
    );
  });
});
