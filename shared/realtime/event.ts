import * as z from 'zod';

/**
 * The API Gateway WebSocket event as it really arrives: $connect carries headers and the query string, MESSAGE
 * events carry a body and neither of those (Powertools' schema requires fields these events lack).
 */
export const WebSocketEvent = z.looseObject({
  requestContext: z.looseObject({
    routeKey: z.string(),
    eventType: z.enum(['CONNECT', 'MESSAGE', 'DISCONNECT']),
    connectionId: z.string().min(1),
    requestId: z.string().optional(),
  }),
  headers: z.record(z.string(), z.string()).nullish(),
  queryStringParameters: z.record(z.string(), z.string()).nullish(),
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().optional(),
});
export type WebSocketEvent = z.infer<typeof WebSocketEvent>;

export interface WebSocketResult {
  statusCode: number;
  body?: string;
}
