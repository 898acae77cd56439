import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { GoneConnectionError, type SocketsPort } from '../../ports';
import { errorName, NotWiredError } from './errors';
import { clientOf } from './lazy';

export type ManagementApiClientLike = Pick<ApiGatewayManagementApiClient, 'send'>;

/**
 * SocketsPort on the WebSocket API's management API (`postToConnection`). `endpoint` is the stage's callback URL,
 * `https://{api}.execute-api.{region}.amazonaws.com/{stage}` (WS_ENDPOINT).
 */
export class ApiGatewaySockets implements SocketsPort {
  private readonly client: () => Promise<ManagementApiClientLike>;

  constructor(endpoint: string | undefined, client?: ManagementApiClientLike) {
    this.client = clientOf(client, async () => {
      if (!endpoint) throw NotWiredError.missingAccess('the WebSocket management API', 'sockets');
      const { ApiGatewayManagementApiClient } = await import('@aws-sdk/client-apigatewaymanagementapi');
      return new ApiGatewayManagementApiClient({ endpoint });
    });
  }

  /** Strings are sent as they are, anything else as JSON. */
  async postToConnection(connectionId: string, data: unknown): Promise<void> {
    const { PostToConnectionCommand } = await import('@aws-sdk/client-apigatewaymanagementapi');
    const text = typeof data === 'string' ? data : JSON.stringify(data);
    try {
      await (await this.client()).send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: new TextEncoder().encode(text) }),
      );
    } catch (err) {
      if (isGone(err)) throw new GoneConnectionError(connectionId);
      throw err;
    }
  }

  /** Closing a connection that is already gone is not an error. */
  async deleteConnection(connectionId: string): Promise<void> {
    const { DeleteConnectionCommand } = await import('@aws-sdk/client-apigatewaymanagementapi');
    try {
      await (await this.client()).send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }
}

function isGone(err: unknown): boolean {
  const status = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return errorName(err) === 'GoneException' || status === 410;
}
