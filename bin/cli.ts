#!/usr/bin/env -S npx tsx
import { parseArgs } from 'node:util';
import { Api, ApiError } from '../cli/api';
import { commands, UsageError } from '../cli/commands';

const HELP = `proliferate <command> [options]

Commands:
${Object.values(commands).map((c) => `  ${c.usage.padEnd(38)}${c.summary}`).join('\n')}

Options:
  --url <url>        the server (default: $PROLIFERATE_URL or http://localhost:4100)
  --api-key <key>    an API key from the dashboard (default: $PROLIFERATE_API_KEY)
  --role <role>      for invite: member or admin
  -h, --help         this help`;

/** Runs one CLI command; returns the exit code (0 done, 1 the server refused, 2 wrong usage). */
export async function run(argv: string[], env = process.env, out = process.stdout, err = process.stderr): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { url: { type: 'string' }, 'api-key': { type: 'string' }, role: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    err.write(`${(e as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  const [name, ...args] = parsed.positionals;
  if (parsed.values.help || !name) {
    out.write(`${HELP}\n`);
    return name || parsed.values.help ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    err.write(`Unknown command "${name}".\n\n${HELP}\n`);
    return 2;
  }
  const api = new Api(parsed.values.url ?? env.PROLIFERATE_URL ?? 'http://localhost:4100', parsed.values['api-key'] ?? env.PROLIFERATE_API_KEY);
  try {
    out.write(`${await command.run(api, args, { role: parsed.values.role })}\n`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err.write(`${e.message}\nUsage: proliferate ${command.usage}\n`);
      return 2;
    }
    if (e instanceof ApiError) {
      const hint = e.status === 401 ? ' (set PROLIFERATE_API_KEY or pass --api-key)' : '';
      err.write(`Error: ${e.message}${hint}\n${e.fields.map((f) => `  ${f.field}: ${f.message}\n`).join('')}`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
