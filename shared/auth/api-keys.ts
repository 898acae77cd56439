import type { IssueApiKey } from '../domain/orgs/api-keys';
import type { Auth } from './auth';

/** API keys are hashed and verified by better-auth; the organisation they act in rides in their metadata. */
export const issueApiKey =
  (auth: Auth): IssueApiKey =>
  async ({ userId, name, expiresInSeconds, organizationId }) => {
    const created = await auth.api.createApiKey({
      body: { userId, name, expiresIn: expiresInSeconds, metadata: { organizationId } },
    });
    return { id: created.id, key: created.key };
  };
