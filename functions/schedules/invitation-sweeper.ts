import { expireOverdueInvitations } from '../../shared/domain/orgs/invitations';
import { getContainer } from '../../shared/runtime/container';

export const handler = async (): Promise<{ expired: number }> => {
  const c = await getContainer();
  const expired = await expireOverdueInvitations(c);
  if (expired) c.logger.info({ expired }, 'invitations expired');
  return { expired };
};
