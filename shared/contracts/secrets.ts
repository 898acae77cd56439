import * as z from 'zod';
import { Id, IsoDate, Ok, route } from './route';
import { EnvKeyName } from './sandbox-api';

/**
 * Organisation secrets: env values sessions get in their env files. A secret applies to the whole organisation, to
 * one repo, or to one configuration; at boot the most specific wins (configuration > repo > organisation). Values go
 * in and never come out: every reply carries metadata only.
 */

/** At most this many bytes of values in one delivery to a sandbox (a WebSocket message is at most 128 KB). */
export const MAX_DELIVERY_BYTES = 96 * 1024;

export const SecretValue = z.string().max(32 * 1024);
const description = z
  .string()
  .trim()
  .max(500)
  .refine((s) => !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(s), 'must not contain control characters');

export const SecretScope = z.enum(['organization', 'repo', 'configuration']);
export type SecretScope = z.infer<typeof SecretScope>;

export const SecretView = z.object({
  id: Id,
  key: z.string(),
  description: z.string().nullable(),
  scope: SecretScope,
  repoId: Id.nullable(),
  configurationId: Id.nullable(),
  createdBy: z.object({ id: Id, name: z.string() }).nullable(),
  createdAt: IsoDate,
  updatedAt: IsoDate,
});
export type SecretView = z.infer<typeof SecretView>;

/** A repo or a configuration to scope to; neither: the whole organisation. */
const scopeFields = { repoId: Id.optional(), configurationId: Id.optional() };
const oneScope = (b: { repoId?: string; configurationId?: string }) => !(b.repoId && b.configurationId);
const oneScopeIssue = { message: 'give repoId or configurationId, not both', path: ['configurationId'] };

const secretParams = z.object({ secretId: Id }).strict();
const sessionParams = z.object({ sessionId: Id }).strict();

export const secretRoutes = {
  list: route({
    method: 'GET',
    path: '/api/secrets',
    summary: "The organisation's secrets, newest first (keys and scopes, never values); `q` matches the key",
    access: 'org',
    query: z
      .object({
        q: z.string().trim().max(200).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(100),
        offset: z.coerce.number().int().min(0).max(100_000).default(0),
      })
      .strict(),
    response: z.object({ secrets: z.array(SecretView), total: z.number().int(), nextOffset: z.number().int().nullable() }),
  }),
  create: route({
    method: 'POST',
    path: '/api/secrets',
    summary: 'Add a secret for the organisation, a repo or a configuration; 409 when that key is already set there',
    access: 'org',
    roles: ['owner', 'admin'],
    status: 201,
    body: z
      .object({ key: EnvKeyName, value: SecretValue, description: description.optional(), ...scopeFields })
      .strict()
      .refine(oneScope, oneScopeIssue),
    response: SecretView,
  }),
  remove: route({
    method: 'DELETE',
    path: '/api/secrets/{secretId}',
    summary: 'Delete a secret (to change a value: delete it, then add it again)',
    access: 'org',
    roles: ['owner', 'admin'],
    params: secretParams,
    response: Ok,
  }),
  check: route({
    method: 'POST',
    path: '/api/secrets/check',
    summary:
      'Whether each key has a value: with configurationId, at that configuration, its repos or the organisation; with repoId, at the repo or the organisation; otherwise organisation-wide',
    access: 'org',
    body: z
      .object({ keys: z.array(EnvKeyName).min(1).max(100), ...scopeFields })
      .strict()
      .refine(oneScope, oneScopeIssue),
    response: z.object({ keys: z.array(z.object({ key: z.string(), exists: z.boolean() })) }),
  }),
  import: route({
    method: 'POST',
    path: '/api/secrets/import',
    summary:
      'Add secrets from pasted .env text (KEY=VALUE, quotes, export prefix, comments); keys already set in that scope are skipped; a malformed line is a 400 naming its line and nothing is added',
    access: 'org',
    roles: ['owner', 'admin'],
    body: z
      .object({ envText: z.string().min(1).max(256 * 1024), description: description.optional(), ...scopeFields })
      .strict()
      .refine(oneScope, oneScopeIssue),
    response: z.object({ created: z.array(z.string()), skipped: z.array(z.string()) }),
  }),
};

const SubmittedSecret = z.object({ key: EnvKeyName, value: SecretValue, persist: z.boolean().optional() }).strict();

export const SubmitEnvBody = z
  .object({
    secrets: z
      .array(SubmittedSecret)
      .min(1)
      .max(50)
      .refine((list) => new Set(list.map((s) => s.key)).size === list.length, 'each key at most once')
      .refine((list) => list.reduce((n, s) => n + Buffer.byteLength(s.value), 0) <= MAX_DELIVERY_BYTES, `the values together are at most ${MAX_DELIVERY_BYTES / 1024} KB`),
    /**
     * Saved values apply to the session's configuration only (not the whole organisation); also the default of each
     * secret's `persist`.
     */
    saveToConfiguration: z.boolean().optional(),
  })
  .strict();
export type SubmitEnvBody = z.infer<typeof SubmitEnvBody>;

export const SubmitEnvReply = z.object({
  submitted: z.literal(true),
  results: z.array(z.object({ key: z.string(), persisted: z.boolean(), alreadyExisted: z.boolean() })),
  /** What the sandbox did with the values: env files rewritten, required keys still missing, or held during a snapshot. */
  delivery: z.object({ written: z.array(z.string()), missing: z.array(z.string()), deferred: z.boolean() }),
});
export type SubmitEnvReply = z.infer<typeof SubmitEnvReply>;

export const sessionEnvRoutes = {
  submit: route({
    method: 'POST',
    path: '/api/sessions/{sessionId}/env',
    summary:
      "Give the running session's sandbox env values (its env files and the agent's env JSON file are rewritten); those marked persist are also saved as secrets (an existing key: alreadyExisted). 409 without a running sandbox",
    access: 'org',
    params: sessionParams,
    body: SubmitEnvBody,
    response: SubmitEnvReply,
  }),
};
