/** API Gateway's management API on AWS (`postToConnection`), the `ws` server locally. */
export interface SocketsPort {
  /** Throws GoneConnectionError when the connection no longer exists. */
  postToConnection(connectionId: string, data: unknown): Promise<void>;
  deleteConnection(connectionId: string): Promise<void>;
}

export class GoneConnectionError extends Error {
  constructor(readonly connectionId: string) {
    super(`connection ${connectionId} is gone`);
    this.name = 'GoneException';
  }
}
