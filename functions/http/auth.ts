import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { validationFailed } from '../../shared/domain/errors';
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
      rejectMalformedJson(event);
      const res = await c.auth.handler(toRequest(event, c.config.publicUrl));
      return await fromResponse(res);
    } catch (err) {
      return errorResult(err, event.requestContext.requestId, (context as Context & { logger: Logger }).logger);
    }
  });

/** better-auth answers an unparseable JSON body with a 500; it is the client's mistake, so it is a 400 here. */
function rejectMalformedJson(event: HttpEvent): void {
  const type = event.headers?.['content-type'] ?? '';
  if (!event.body || !type.toLowerCase().startsWith('application/json')) return;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    JSON.parse(text);
  } catch {
    throw validationFailed([{ field: 'body', message: 'must be valid JSON' }]);
  }
}
