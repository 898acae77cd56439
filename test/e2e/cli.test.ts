import { spawn } from 'node:child_process';
import path from 'node:path';
import { signUpVerified, startRuntime, type TestRuntime } from '../support/runtime';

const ROOT = path.resolve(__dirname, '..', '..');

/** Runs the `proliferate` CLI as a user would, in its own process. */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'bin', 'cli.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '', PROLIFERATE_API_KEY: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // 'close' comes after the output streams have ended ('exit' can come before the last of it).
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let rt: TestRuntime;
let key: string;
beforeAll(async () => {
  rt = await startRuntime();
  const owner = await signUpVerified(rt.url, 'Cli Owner', 'cli@cli.example');
  await owner.post('/api/orgs', { name: 'Terminal Co' });
  key = (await owner.post('/api/api-keys', { name: 'laptop' })).body.key;
});
afterAll(async () => rt?.stop());

describe('the proliferate CLI', () => {
  it('shows the server status as a table', async () => {
    const r = await cli(['status', '--url', rt.url], {});
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${rt.url}: ok`);
    expect(r.stdout).toMatch(/database\s+yes\s+pglite|database\s+yes\s+postgres/);
  });

  it('acts with an API key: whoami, invite, invitations, members', async () => {
    const env = { PROLIFERATE_URL: rt.url, PROLIFERATE_API_KEY: key };
    expect((await cli(['whoami'], env)).stdout).toContain('Cli Owner <cli@cli.example>, owner of Terminal Co');
    const invited = await cli(['invite', 'friend@cli.example', '--role', 'admin'], env);
    expect(invited.code).toBe(0);
    expect(invited.stdout).toContain('Invited friend@cli.example as admin');
    expect((await cli(['invitations'], env)).stdout).toMatch(/friend@cli\.example\s+admin\s+pending/);
    expect((await cli(['members'], env)).stdout).toMatch(/Cli Owner\s+cli@cli\.example\s+owner/);
  });

  it('explains errors: a refused request names the field, a missing key says how to set it, bad usage exits 2', async () => {
    const bad = await cli(['invite', 'not-an-email'], { PROLIFERATE_URL: rt.url, PROLIFERATE_API_KEY: key });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('body.email');
    const anon = await cli(['members'], { PROLIFERATE_URL: rt.url });
    expect(anon.code).toBe(1);
    expect(anon.stderr).toContain('PROLIFERATE_API_KEY');
    expect((await cli(['frobnicate'], {})).code).toBe(2);
    expect((await cli(['invite'], { PROLIFERATE_URL: rt.url, PROLIFERATE_API_KEY: key })).code).toBe(2);
  });
});
