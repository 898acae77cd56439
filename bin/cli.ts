#!/usr/bin/env -S npx tsx
import { parseArgs } from 'node:util';
import { Api, ApiError } from '../cli/api';
import { commands, UsageError, type CommandSpec } from '../cli/commands';
import { processIo, type Io } from '../cli/io';

const COLUMN = 46;
const helpLine = (c: CommandSpec) => (c.usage.length < COLUMN - 2 ? `  ${c.usage.padEnd(COLUMN - 2)}${c.summary}` : `  ${c.usage}\n${' '.repeat(COLUMN)}${c.summary}`);

const HELP = `proliferate <command> [options]

Commands:
${Object.values(commands)
  .flatMap((c) => (c.subcommands ? Object.values(c.subcommands) : [c]))
  .map(helpLine)
  .join('\n')}

Options:
  --url <url>              the server (default: $PROLIFERATE_URL or http://localhost:4100)
  --api-key <key>          an API key from the dashboard (default: $PROLIFERATE_API_KEY)
  --role <role>            for invite: member or admin
  --status <status>        for sessions: only those in this status (running, paused, …)
  --configuration <id>     for session new: the configuration (its repos); none gives a scratch session
  --title <title>          for session new: the session's title
  --prompt <prompt>        for session new: the first prompt (- reads it from stdin); then streams the reply
  -f, --follow             for session log: keep streaming new events
  -h, --help               this help

A chat exits 0 when the reply is complete, 1 when it failed, 130 after Ctrl-C (which cancels the agent's turn).
Put -- before a prompt that starts with a dash.`;

/** Runs one CLI command; returns the exit code (0 done, 1 the server refused, 2 wrong usage, 130 interrupted). */
export async function run(argv: string[], env = process.env, out = process.stdout, err = process.stderr, io: Io = processIo(env, out, err)): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        'api-key': { type: 'string' },
        role: { type: 'string' },
        status: { type: 'string' },
        configuration: { type: 'string' },
        title: { type: 'string' },
        prompt: { type: 'string' },
        follow: { type: 'boolean', short: 'f' },
        help: { type: 'boolean', short: 'h' },
      },
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
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    err.write(`Unknown command "${name}".\n\n${HELP}\n`);
    return 2;
  }
  const { url, 'api-key': apiKey, help: _help, ...options } = parsed.values;
  const api = new Api(url ?? env.PROLIFERATE_URL ?? 'http://localhost:4100', apiKey ?? env.PROLIFERATE_API_KEY);
  try {
    const result = await command.run(api, args, options, io);
    if (typeof result === 'number') return result;
    out.write(`${result}\n`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err.write(`${e.message}\nUsage: proliferate ${e.usage ?? command.usage}\n`);
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
  // Piped into `head` and cut short: that is the reader's choice, not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  run(process.argv.slice(2)).then(
    // Exit once what was written has been handed over (pipes can be asynchronous).
    (code) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code))),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
