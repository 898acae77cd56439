import { validationFailed } from '../../shared/domain/errors';
import { errorResult } from '../../shared/http/errors';
import { withRequestLog } from '../../shared/http/api';
import { fromResponse, toRequest } from '../../shared/http/auth-bridge';
import type { HttpEvent } from '../../shared/http/types';
import { createAuth } from '../../shared/auth/auth';
import { getContainer } from '../../shared/runtime/container';

/** better-auth's own routes under /api/auth, passed through as web-standard requests. */
export const handler = withRequestLog('auth', async (event, _context, logger) => {
    const c = await getContainer({ createAuth });
    try {
      rejectMalformedJson(event);
      const res = await c.auth.handler(toRequest(event, c.config.publicUrl));
      return await fromResponse(res);
    } catch (err) {
      return errorResult(err, event.requestContext.requestId, logger);
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
