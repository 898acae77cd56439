/**
 * A hand-written stand-in for an AWS SDK v3 client: `send(command)` records the command and answers with what the
 * test's responder returns for it (or throws what it throws). Responders check `command instanceof XCommand` and
 * read `command.input`, as the real client would receive them.
 */
export interface SentCommand {
  command: object;
  input: Record<string, unknown>;
}

export function fakeClient<Client>(respond: (command: object, input: Record<string, unknown>) => unknown) {
  const sent: SentCommand[] = [];
  const client = {
    send: async (command: { input: Record<string, unknown> }) => {
      sent.push({ command, input: command.input });
      return respond(command, command.input);
    },
  };
  // The one cast: the SDK's `send` is a family of overloads no small object can spell out.
  return { client: client as unknown as Client, sent };
}

/** An error shaped like an SDK v3 service exception (its `name` is the error code). */
export function serviceError(name: string, httpStatusCode = 400): Error {
  const err = new Error(`${name}: from the fake`);
  err.name = name;
  Object.assign(err, { $metadata: { httpStatusCode } });
  return err;
}
