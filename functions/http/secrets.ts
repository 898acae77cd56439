import { secretRoutes as r, sessionEnvRoutes as env } from '../../shared/contracts/secrets';
import * as secrets from '../../shared/domain/secrets/secrets';
import { submitSessionEnv } from '../../shared/domain/secrets/session-env';
import { bind, httpApi } from '../../shared/http/api';
import type { Container } from '../../shared/runtime/container';

const deps = (c: Container): secrets.SecretsDeps => ({ db: c.db, keys: c.keys, clock: c.clock });

/** Secrets of the organisation (values go in, never out) and env values given to a running session. */
export const handler = httpApi('secrets', [
  bind(r.list, ({ c, org, query }) => secrets.listSecrets(c.db, org, query)),
  bind(r.create, ({ c, org, body }) => secrets.createSecret(deps(c), org, body)),
  bind(r.remove, async ({ c, org, params }) => {
    await secrets.deleteSecret(c.db, org, params.secretId);
    return { ok: true as const };
  }),
  bind(r.check, ({ c, org, body }) => secrets.checkSecrets(c.db, org, body)),
  bind(r.import, ({ c, org, body }) => secrets.importSecrets(deps(c), org, body)),
  bind(env.submit, ({ c, org, params, body, logger }) =>
    submitSessionEnv({ ...deps(c), sockets: c.sockets, logger: logger.child({ sessionId: params.sessionId }) }, org, params.sessionId, body),
  ),
]);
