import { configurationRoutes as cfg, repoRoutes as r } from '../../shared/contracts/repos';
import * as configurations from '../../shared/domain/repos/configurations';
import { systemGit } from '../../shared/domain/repos/git';
import * as repos from '../../shared/domain/repos/repos';
import { bind, httpApi } from '../../shared/http/api';
import { HttpReply } from '../../shared/http/types';
import type { Container } from '../../shared/runtime/container';

const deps = (c: Container): repos.RepoDeps => ({
  db: c.db,
  clock: c.clock,
  outboxWritten: () => c.outboxWritten(),
  defaultProvider: c.sandboxes.defaultProvider,
  logger: c.logger.child({ area: 'repos' }),
  git: systemGit,
  allowLocal: c.config.PROLIFERATE_RUNTIME === 'local',
});

export const handler = httpApi('repos', [
  bind(r.list, ({ c, org, query }) => repos.listRepos(c.db, org, query)),
  bind(r.create, async ({ c, org, body }) => {
    const out = await repos.createRepo(deps(c), org, body);
    // Adding a URL the organisation already has is not an error: 200 with the repo it has.
    return new HttpReply(out.created ? 201 : 200, r.create.response.parse(out));
  }),
  bind(r.get, ({ c, org, params }) => repos.getRepo(c.db, org, params.repoId)),
  bind(r.update, ({ c, org, params, body }) => repos.updateRepo(deps(c), org, params.repoId, body)),
  bind(r.remove, async ({ c, org, params }) => {
    await repos.deleteRepo(c.db, org, params.repoId);
    return { ok: true as const };
  }),

  bind(cfg.list, ({ c, org, query }) => configurations.listConfigurations(c.db, org, query)),
  bind(cfg.create, ({ c, org, body }) => configurations.createConfiguration(deps(c), org, body)),
  bind(cfg.get, ({ c, org, params }) => configurations.getConfiguration(c.db, org, params.configurationId)),
  bind(cfg.update, ({ c, org, params, body }) => configurations.updateConfiguration(c.db, c.clock, org, params.configurationId, body)),
  bind(cfg.setRepos, ({ c, org, params, body }) => configurations.setConfigurationRepos(deps(c), org, params.configurationId, body.repos)),
  bind(cfg.remove, async ({ c, org, params }) => {
    await configurations.deleteConfiguration(c.db, org, params.configurationId);
    return { ok: true as const };
  }),
  bind(cfg.serviceCommands, ({ c, org, params }) => configurations.effectiveServiceCommands(c.db, org, params.configurationId)),
  bind(cfg.status, ({ c, org, params }) => configurations.configurationStatus(c.db, org, params.configurationId)),
  bind(cfg.build, ({ c, org, params }) => configurations.requestBuild(deps(c), org, params.configurationId)),
]);
