import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { errorResult } from '../../shared/http/errors';
import { requestLog } from '../../shared/http/api';
import { fromResponse, toRequest } from '../../shared/http/auth-bridge';
import type { HttpEvent, HttpResult } from '../../shared/http/types';
import { getContainer } from '../../shared/runtime/container';
import type { Logger } from '../../shared/runtime/logger';

/** better-auth's own routes under /api/auth, passed through as web-standard requests. */
export const handler = middy<HttpEvent, HttpResult, Error, Context>()
  .use(requestLog('auth'))
  .handler(async (event, context) => {
    const c = await getContainer();
    try {
      const res = await c.auth.handler(toRequest(event, c.config.publicUrl));
      return await fromResponse(res);
    } catch (err) {
      return errorResult(err, event.requestContext.requestId, (context as Context & { logger: Logger }).logger);
    }
  });
