import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { expireOverdueInvitations } from '../../shared/domain/orgs/invitations';
import { getContainer } from '../../shared/runtime/container';

export const handler = middy<unknown, { expired: number }, Error, Context>().handler(async () => {
  const c = await getContainer();
  const expired = await expireOverdueInvitations(c);
  if (expired) c.logger.info({ expired }, 'invitations expired');
  return { expired };
});
