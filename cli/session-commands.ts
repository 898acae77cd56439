import type * as z from 'zod';
import type { SessionView } from '../shared/contracts/sessions';
import type { Api } from './api';
import { readAll, type Io } from './io';
import { chat, follow, printLog } from './stream';
import { ago, clip, table } from './table';
import { UsageError, type CommandSpec } from './types';

type Session = z.infer<typeof SessionView>;

const LIST_LIMIT = 50;

const path = (id: string, rest = '') => `/api/sessions/${encodeURIComponent(id)}${rest}`;

function statusLabel(s: Session): string {
  if (s.status === 'paused' && s.pauseReason) return `paused (${s.pauseReason})`;
  return s.status;
}

/** The session's id from the arguments, or a usage error. */
function idFrom(args: string[], usage: string): string {
  if (!args[0]) throw new UsageError('Which session? Give its id (proliferate sessions lists them).', usage);
  return args[0];
}

/** A prompt given as `-` is read from stdin (to its end), without the trailing newline. */
async function promptFrom(words: string[], io: Io): Promise<string> {
  if (words.length !== 1 || words[0] !== '-') return words.join(' ');
  if (io.stdin.isTTY) io.err.write('Type the prompt, then Ctrl-D on a line of its own.\n');
  return (await readAll(io.stdin)).replace(/\s+$/, '');
}

export const sessionsCommand: CommandSpec = {
  summary: "The organisation's sessions, newest first",
  usage: 'sessions [--status S]',
  run: async (api, _args, options) => {
    const query = new URLSearchParams({ limit: String(LIST_LIMIT) });
    if (options.status) query.set('status', options.status);
    const { sessions, nextCursor } = await api.request<{ sessions: Session[]; nextCursor: string | null }>('GET', `/api/sessions?${query}`);
    if (sessions.length === 0) return options.status ? `No ${options.status} sessions.` : 'No sessions yet. Start one with: proliferate session new --prompt "…"';
    const now = Date.now();
    const rows = sessions.map((s) => [
      s.id,
      clip(s.title, 40),
      statusLabel(s),
      s.configuration?.name,
      s.metrics.toolCalls,
      s.metrics.messagesExchanged,
      clip(s.latestTask, 40),
      ago(s.lastActivityAt, now),
    ]);
    const more = nextCursor ? `\n(the newest ${LIST_LIMIT}; there are more)` : '';
    return table(['id', 'title', 'status', 'configuration', 'tool calls', 'messages', 'latest task', 'last activity'], rows) + more;
  },
};

const sub: Record<string, CommandSpec> = {
  new: {
    summary: 'Start a session (its sandbox starts now); with --prompt, chat right away',
    usage: 'session new [--configuration <id>] [--title T] [--prompt P|-]',
    run: async (api, args, options, io) => {
      if (args.length) throw new UsageError(`Unexpected argument "${args[0]}" (a prompt goes after --prompt).`, sub.new.usage);
      const prompt = options.prompt === undefined ? undefined : await promptFrom([options.prompt], io);
      if (prompt !== undefined && !prompt.trim()) throw new UsageError('The prompt is empty.', sub.new.usage);
      const created = await api.request<Session>('POST', '/api/sessions', {
        sandboxMode: 'immediate',
        ...(options.configuration ? { configurationId: options.configuration } : {}),
        ...(options.title ? { title: options.title } : {}),
        ...(prompt ? { initialPrompt: prompt } : {}),
      });
      if (!prompt) {
        io.err.write(`Session ${created.id} created; its sandbox is starting. Chat with: proliferate session chat ${created.id} "…"\n`);
        return created.id;
      }
      io.err.write(`Session ${created.id}\n`);
      // The prompt went in with the session (its first message): stream from the beginning of the log.
      return chat(api, io, { sessionId: created.id, prompt, send: false, afterSeq: 0, status: created.status });
    },
  },
  chat: {
    summary: "Send a prompt and stream the agent's reply (- reads the prompt from stdin)",
    usage: 'session chat <id> <prompt…|->',
    run: async (api, args, _options, io) => {
      const id = idFrom(args, sub.chat.usage);
      const prompt = await promptFrom(args.slice(1), io);
      if (!prompt.trim()) throw new UsageError('What should the agent do? Give a prompt, or - to read it from stdin.', sub.chat.usage);
      const s = await getSession(api, id);
      return chat(api, io, { sessionId: s.id, prompt, send: true, afterSeq: s.eventSeq, status: s.status });
    },
  },
  log: {
    summary: 'The transcript so far; with --follow, then live',
    usage: 'session log <id> [--follow]',
    run: async (api, args, options, io) => {
      const id = idFrom(args, sub.log.usage);
      if (!options.follow) return printLog(api, io, id);
      const s = await getSession(api, id);
      return follow(api, io, s.id);
    },
  },
  pause: {
    summary: "Pause: save the sandbox's state and stop it",
    usage: 'session pause <id>',
    run: async (api, args) => {
      const s = await api.request<Session>('POST', path(idFrom(args, sub.pause.usage), '/pause'));
      return `Pausing ${s.id}: its sandbox is saved, then stopped. Resume with: proliferate session resume ${s.id}`;
    },
  },
  resume: {
    summary: 'Resume a paused session',
    usage: 'session resume <id>',
    run: async (api, args) => {
      const s = await api.request<Session>('POST', path(idFrom(args, sub.resume.usage), '/resume'));
      return `Resuming ${s.id}: its sandbox is starting.`;
    },
  },
  delete: {
    summary: 'Delete a session and its sandbox',
    usage: 'session delete <id>',
    run: async (api, args) => {
      const id = idFrom(args, sub.delete.usage);
      await api.request('DELETE', path(id));
      return `Deleting ${id}: its sandbox is stopped and the session removed.`;
    },
  },
};

export const sessionCommand: CommandSpec = {
  summary: 'Work with one session',
  usage: `session ${Object.keys(sub).join('|')} …`,
  subcommands: sub,
  run: async (api, [name, ...args], options, io) => {
    const command = name && Object.hasOwn(sub, name) ? sub[name] : undefined;
    if (!command) throw new UsageError(name ? `Unknown session command "${name}".` : 'session needs a command.');
    return command.run(api, args, options, io);
  },
};

function getSession(api: Api, id: string): Promise<Session> {
  return api.request<Session>('GET', path(id));
}
