import * as z from 'zod';

/** Client → server over the WebSocket API ($default route). */
export const ClientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ping'), id: z.string().max(64).optional() }),
  z.object({ type: z.literal('whoami') }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

/** Server → client. */
export const ServerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('pong'), id: z.string().optional() }),
  z.object({
    type: z.literal('hello'),
    connectionId: z.string(),
    userId: z.string().nullable(),
    organizationId: z.string().nullable(),
  }),
  z.object({
    type: z.literal('org.event'),
    event: z.string(),
    organizationId: z.string(),
    data: z.record(z.string(), z.unknown()),
  }),
  z.object({
    type: z.literal('error'),
    code: z.string(),
    message: z.string(),
    /** For session messages: which session and which request (git, terminal) the error answers. */
    sessionId: z.string().optional(),
    requestId: z.string().optional(),
    fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;
