import * as z from 'zod';
import { Id, IsoDate, Ok, route } from './route';
import { EnvFileSpecSchema, ServiceCommandSchema } from './sandbox-api';

/** `git`: a URL the sandbox clones. `local`: a repository on the machine running the embedded runtime. */
export const RepoSource = z.enum(['git', 'local']);
/** building → default (cloned, no setup) → ready (finalized after a setup session); failed carries `error`. */
export const ConfigurationStatus = z.enum(['building', 'default', 'ready', 'failed']);
export type ConfigurationStatus = z.infer<typeof ConfigurationStatus>;
export const SandboxProviderKindSchema = z.enum(['local', 'e2b', 'modal']);

const noControl = (s: string) => !/[\u0000-\u001f\u007f]/.test(s);
const displayName = z.string().trim().min(1).max(200).refine(noControl, 'must not contain control characters');

/** A branch name git accepts and no command line can mistake for an option. */
export const BranchName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^(?![-/.])(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[A-Za-z0-9._/@+-]+(?<![/.])$/, 'a branch name such as main or release/1.2');

/** `.` (the workspace itself) or folders of letters, digits, `.`, `_`, `-` (none starting with a dot or a dash). */
export const WorkspacePath = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((p) => p === '.' || p.split('/').every((s) => /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(s)), 'a relative folder such as api or libs/web (or . for the workspace itself)');

/** An ACP agent command (e.g. `npx @zed-industries/claude-code-acp`); null runs the built-in agent. */
export const AgentCommand = z.string().trim().min(1).max(1000).refine(noControl, 'one line without control characters');

export const RepoView = z.object({
  id: Id,
  name: z.string(),
  source: RepoSource,
  url: z.string(),
  defaultBranch: z.string(),
  addedBy: Id.nullable(),
  createdAt: IsoDate,
  updatedAt: IsoDate,
});
export type RepoView = z.infer<typeof RepoView>;

/** A repo in a configuration; `repoId` and `workspacePath` are what PUT …/repos takes back. */
export const ConfigurationRepoView = z.object({
  repoId: Id,
  name: z.string(),
  source: RepoSource,
  url: z.string(),
  defaultBranch: z.string(),
  workspacePath: z.string(),
});

export const ConfigurationView = z.object({
  id: Id,
  name: z.string(),
  notes: z.string().nullable(),
  status: ConfigurationStatus,
  error: z.string().nullable(),
  sandboxProvider: SandboxProviderKindSchema,
  snapshotId: z.string().nullable(),
  snapshotVersionKey: z.string().nullable(),
  agentCommand: z.string().nullable(),
  serviceCommands: z.array(ServiceCommandSchema),
  envFiles: z.array(EnvFileSpecSchema),
  repos: z.array(ConfigurationRepoView),
  createdBy: Id.nullable(),
  createdAt: IsoDate,
  updatedAt: IsoDate,
});
export type ConfigurationView = z.infer<typeof ConfigurationView>;

export const ConfigurationStatusView = z.object({
  status: ConfigurationStatus,
  error: z.string().nullable(),
  snapshotId: z.string().nullable(),
  snapshotVersionKey: z.string().nullable(),
  updatedAt: IsoDate,
});

/**
 * The service commands a new session starts, and where they come from. Precedence: the configuration's own commands
 * when it has any; otherwise none (repos carry no commands of their own here, so there is nothing to merge).
 */
export const EffectiveServiceCommands = z.object({
  source: z.enum(['configuration', 'none']),
  commands: z.array(ServiceCommandSchema),
  /** The configuration's workspace paths, which commands' `workspacePath` refer to. */
  workspaces: z.array(z.string()),
});

const paging = {
  q: z.string().trim().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
};

const RepoLink = z.object({ repoId: Id, workspacePath: WorkspacePath.optional() }).strict();
const repoLinks = z.array(RepoLink).min(1).max(20);
const serviceCommands = z.array(ServiceCommandSchema).max(20);
const envFiles = z.array(EnvFileSpecSchema).max(20);

const repoParams = z.object({ repoId: Id }).strict();
const configurationParams = z.object({ configurationId: Id }).strict();

export const repoRoutes = {
  list: route({
    method: 'GET',
    path: '/api/repos',
    summary: "The organisation's repos by name; `q` matches name or URL (case-insensitive, literal)",
    access: 'org',
    query: z.object(paging).strict(),
    response: z.object({ repos: z.array(RepoView), total: z.number().int(), nextOffset: z.number().int().nullable() }),
  }),
  create: route({
    method: 'POST',
    path: '/api/repos',
    summary:
      'Add a repo by git URL (https, ssh, file) or by a local path (embedded runtime only); 201 when added, 200 with the existing repo when its URL is already there. A new repo gets a single-repo configuration unless createConfiguration is false',
    access: 'org',
    status: 201,
    body: z
      .object({
        url: z.string().trim().min(1).max(2000).optional(),
        path: z.string().trim().min(1).max(4096).optional(),
        name: displayName.optional(),
        defaultBranch: BranchName.optional(),
        createConfiguration: z.boolean().default(true),
      })
      .strict()
      .refine((b) => (b.url === undefined) !== (b.path === undefined), { message: 'give either url or path', path: ['url'] }),
    response: z.object({ repo: RepoView, created: z.boolean(), configuration: ConfigurationView.nullable() }),
  }),
  get: route({ method: 'GET', path: '/api/repos/{repoId}', summary: 'One repo', access: 'org', params: repoParams, response: RepoView }),
  update: route({
    method: 'PATCH',
    path: '/api/repos/{repoId}',
    summary: "Rename a repo or change its default branch (the branch sandboxes clone)",
    access: 'org',
    params: repoParams,
    body: z.object({ name: displayName.optional(), defaultBranch: BranchName.optional() }).strict(),
    response: RepoView,
  }),
  remove: route({
    method: 'DELETE',
    path: '/api/repos/{repoId}',
    summary: 'Delete a repo; configurations that used it keep their other repos',
    access: 'org',
    params: repoParams,
    response: Ok,
  }),
};

export const configurationRoutes = {
  list: route({
    method: 'GET',
    path: '/api/configurations',
    summary: "The organisation's configurations by name, with their repos and snapshot status; `q` matches the name",
    access: 'org',
    query: z.object(paging).strict(),
    response: z.object({ configurations: z.array(ConfigurationView), total: z.number().int(), nextOffset: z.number().int().nullable() }),
  }),
  create: route({
    method: 'POST',
    path: '/api/configurations',
    summary: 'Create a configuration of one or more repos (each in its own workspace folder) and start its snapshot build',
    access: 'org',
    status: 201,
    body: z
      .object({
        name: displayName.optional(),
        notes: z.string().max(10_000).optional(),
        repos: repoLinks,
        sandboxProvider: SandboxProviderKindSchema.optional(),
        agentCommand: AgentCommand.nullable().optional(),
        serviceCommands: serviceCommands.optional(),
        envFiles: envFiles.optional(),
      })
      .strict(),
    response: ConfigurationView,
  }),
  get: route({
    method: 'GET',
    path: '/api/configurations/{configurationId}',
    summary: 'One configuration with its repos',
    access: 'org',
    params: configurationParams,
    response: ConfigurationView,
  }),
  update: route({
    method: 'PATCH',
    path: '/api/configurations/{configurationId}',
    summary: 'Change name, notes, agent command (null: the built-in agent), service commands or env file specs',
    access: 'org',
    params: configurationParams,
    body: z
      .object({
        name: displayName.optional(),
        notes: z.string().max(10_000).nullable().optional(),
        agentCommand: AgentCommand.nullable().optional(),
        serviceCommands: serviceCommands.optional(),
        envFiles: envFiles.optional(),
      })
      .strict(),
    response: ConfigurationView,
  }),
  setRepos: route({
    method: 'PUT',
    path: '/api/configurations/{configurationId}/repos',
    summary: "Replace the configuration's repos (folders of repos that stay are kept) and rebuild its snapshot",
    access: 'org',
    params: configurationParams,
    body: z.object({ repos: repoLinks }).strict(),
    response: ConfigurationView,
  }),
  remove: route({
    method: 'DELETE',
    path: '/api/configurations/{configurationId}',
    summary: 'Delete a configuration (sessions that used it keep running without one)',
    access: 'org',
    params: configurationParams,
    response: Ok,
  }),
  serviceCommands: route({
    method: 'GET',
    path: '/api/configurations/{configurationId}/service-commands',
    summary: "The service commands new sessions start: the configuration's own when it has any, otherwise none",
    access: 'org',
    params: configurationParams,
    response: EffectiveServiceCommands,
  }),
  status: route({
    method: 'GET',
    path: '/api/configurations/{configurationId}/status',
    summary: 'Snapshot status: building, default (cloned), ready (set up) or failed with its error',
    access: 'org',
    params: configurationParams,
    response: ConfigurationStatusView,
  }),
  build: route({
    method: 'POST',
    path: '/api/configurations/{configurationId}/build',
    summary: 'Build the configuration snapshot (clone its repos, snapshot); while a build runs, asking again starts nothing',
    access: 'org',
    params: configurationParams,
    status: 202,
    response: z.object({ started: z.boolean(), executionName: z.string().nullable(), configuration: ConfigurationView }),
  }),
};

/** Input of each `snapshot-build` workflow task (the ASL passes `action` and the execution's input). */
const buildRef = { configurationId: Id, organizationId: Id, buildId: z.string().regex(/^\d{1,16}$/) };
/** A base build: one provider's base layer for one daemon version (see `sandbox_base_snapshot`). */
const baseRef = { provider: SandboxProviderKindSchema, versionKey: z.string().min(1).max(200), buildId: z.string().min(1).max(100) };
const CaughtError = z.object({ Error: z.string().optional(), Cause: z.string().optional() });
export const SnapshotBuildTask = z.discriminatedUnion('action', [
  z.object({ action: z.literal('buildBase'), ...baseRef }),
  z.object({ action: z.literal('markBaseReady'), ...baseRef, snapshotId: z.string().min(1).max(500) }),
  z.object({ action: z.literal('markBaseFailed'), ...baseRef, error: CaughtError.optional() }),
  z.object({ action: z.literal('markBuilding'), ...buildRef }),
  z.object({ action: z.literal('build'), ...buildRef }),
  z.object({ action: z.literal('markReady'), ...buildRef, snapshotId: z.string().min(1).max(500), versionKey: z.string().min(1).max(200) }),
  z.object({
    action: z.literal('markFailed'),
    ...buildRef,
    /** What a Catch puts at its ResultPath: the error name and, for a Lambda error, a JSON cause. */
    error: CaughtError.optional(),
  }),
]);
export type SnapshotBuildTask = z.infer<typeof SnapshotBuildTask>;

/** The input of a `snapshot-build` execution: a configuration's build, or (with `kind: 'base'`) a base build. */
export const SnapshotBuildInput = z.union([z.object(buildRef), z.object({ kind: z.literal('base'), ...baseRef })]);
export type SnapshotBuildInput = z.infer<typeof SnapshotBuildInput>;
