import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { daemonStartScript, sandboxPaths, shellCommand } from '../../../shared/sandbox/providers/daemon-launch';

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
});
