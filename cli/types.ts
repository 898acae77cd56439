import type { Api } from './api';
import type { Io } from './io';

/** The command line's options, as parsed (each command reads the ones it knows). */
export interface Options {
  role?: string;
  status?: string;
  configuration?: string;
  title?: string;
  prompt?: string;
  follow?: boolean;
}

/**
 * A command: returns its output (printed with a newline, exit code 0), or, when it writes as it goes (streaming),
 * the exit code.
 */
export type Command = (api: Api, args: string[], options: Options, io: Io) => Promise<string | number>;

export interface CommandSpec {
  summary: string;
  usage: string;
  run: Command;
  /** Listed one by one in the help. */
  subcommands?: Record<string, CommandSpec>;
}

/** Wrong usage (exit code 2): the message, and the usage line to show with it (default: the command's). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
}
