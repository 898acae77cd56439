import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { BASE_SETUP_NO_NODE, baseSetupScript, daemonStartScript, NODE_PTY_PACKAGE, sandboxPaths, shellCommand } from '../../../shared/sandbox/providers/daemon-launch';

describe('daemon launch', () => {
  it('quotes any arguments so the shell hands them over unchanged', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\0')), { maxLength: 6 }), (args) => {
        // A first argument of our own, so that no arguments still prints something.
        const out = execFileSync('sh', ['-c', shellCommand(['printf', '%s\\0', 'start', ...args])], { encoding: 'utf8' });
        expect(out.split('\0').slice(1, -1)).toEqual(args);
      }),
      { numRuns: 60 },
    );
  });

  it('places everything under the home folder and keeps the script free of the environment', () => {
    const paths = sandboxPaths('/home/user');
    const script = daemonStartScript(paths);

    expect(paths).toEqual({
      home: '/home/user',
      dir: '/home/user/.proliferate',
      workspace: '/home/user/workspace',
      bundle: '/home/user/.proliferate/daemon.js',
      log: '/home/user/.proliferate/daemon.log',
      pidFile: '/home/user/.proliferate/daemon.pid',
    });
    expect(script).not.toMatch(/PROLIFERATE_|TOKEN/);
    // dash (Debian's sh) and bash both accept it.
    execFileSync('sh', ['-n', '-c', script]);
    execFileSync('bash', ['-n', '-c', script]);
  });

  describe('the base layer setup script', () => {
    let root: string;
    beforeEach(() => {
      root = mkdtempSync(path.join(tmpdir(), 'prl-base-'));
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    /** A PATH with the tools the script uses, node (unless left out) and an npm that records its arguments and installs a stand-in. */
    function toolbox(withNode: boolean): string {
      const bin = path.join(root, 'bin');
      mkdirSync(bin);
      for (const tool of ['sh', 'mkdir', 'cat', 'echo']) {
        const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
        if (found.startsWith('/')) symlinkSync(found, path.join(bin, tool));
      }
      if (withNode) symlinkSync(process.execPath, path.join(bin, 'node'));
      const npm = [
        '#!/bin/sh',
        `echo "$@" >> ${JSON.stringify(path.join(root, 'npm.log'))}`,
        '/bin/mkdir -p node_modules/@lydell/node-pty',
        `echo 'module.exports = {}' > node_modules/@lydell/node-pty/index.js`,
      ].join('\n');
      writeFileSync(path.join(bin, 'npm'), npm);
      chmodSync(path.join(bin, 'npm'), 0o755);
      return bin;
    }
    const run = (bin: string, dir: string) => spawnSync('/bin/sh', ['-c', baseSetupScript(dir)], { encoding: 'utf8', env: { PATH: bin, HOME: root } });

    it('installs the PTY library in the daemon folder once, and checks it loads', () => {
      const bin = toolbox(true);
      const dir = path.join(root, 'home', '.proliferate');
      const first = run(bin, dir);
      expect([first.status, first.stderr]).toEqual([0, '']);
      expect(first.stdout.trim()).toBe(process.version);
      expect(readFileSync(path.join(root, 'npm.log'), 'utf8')).toBe(`install --no-audit --no-fund --no-save --loglevel=error ${NODE_PTY_PACKAGE}\n`);
      expect(existsSync(path.join(dir, 'package.json'))).toBe(true);
      // Again on a prepared sandbox: nothing to install.
      expect(run(bin, dir).status).toBe(0);
      expect(readFileSync(path.join(root, 'npm.log'), 'utf8').trim().split('\n')).toHaveLength(1);
    });

    it('stops with its own exit code and a clear message when the image has no Node.js', () => {
      const result = run(toolbox(false), path.join(root, 'daemon'));
      expect(result.status).toBe(BASE_SETUP_NO_NODE);
      expect(result.stderr).toContain('This sandbox image has no Node.js; the daemon needs Node.js 22.');
      expect(existsSync(path.join(root, 'npm.log'))).toBe(false);
    });

    it('fails when the install does not give a loadable library', () => {
      const bin = toolbox(true);
      writeFileSync(path.join(bin, 'npm'), '#!/bin/sh\necho "npm error network request failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org" >&2\nexit 1\n');
      const result = run(bin, path.join(root, 'daemon'));
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('EAI_AGAIN');
    });
  });
});
