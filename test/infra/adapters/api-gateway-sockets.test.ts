import { DeleteConnectionCommand, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { ApiGatewaySockets, type ManagementApiClientLike } from '../../../shared/adapters/aws/api-gateway-sockets';
import { GoneConnectionError } from '../../../shared/ports';
import { fakeClient, serviceError } from '../support/fake-client';

const ENDPOINT = 'https://abc123.execute-api.eu-west-1.amazonaws.com/ws';

describe('ApiGatewaySockets', () => {
  it('posts objects as JSON and strings as they are', async () => {
    const { client, sent } = fakeClient<ManagementApiClientLike>((command) => {
      expect(command).toBeInstanceOf(PostToConnectionCommand);
      return {};
    });
    const sockets = new ApiGatewaySockets(ENDPOINT, client);
    await sockets.postToConnection('c-1', { type: 'pong', id: '1' });
    await sockets.postToConnection('c-1', 'plain');
    const text = (i: number) => new TextDecoder().decode(sent[i].input.Data as Uint8Array);
    expect(sent[0].input.ConnectionId).toBe('c-1');
    expect(JSON.parse(text(0))).toEqual({ type: 'pong', id: '1' });
    expect(text(1)).toBe('plain');
  });

  it('turns GoneException into GoneConnectionError', async () => {
    const { client } = fakeClient<ManagementApiClientLike>(() => {
      throw serviceError('GoneException', 410);
    });
    const error = await new ApiGatewaySockets(ENDPOINT, client).postToConnection('c-2', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GoneConnectionError);
    expect((error as GoneConnectionError).connectionId).toBe('c-2');
  });

  it('treats deleting a gone connection as done, and other failures as failures', async () => {
    let answer = 'GoneException';
    const { client, sent } = fakeClient<ManagementApiClientLike>(() => {
      throw serviceError(answer, answer === 'GoneException' ? 410 : 500);
    });
    const sockets = new ApiGatewaySockets(ENDPOINT, client);
    await expect(sockets.deleteConnection('c-3')).resolves.toBeUndefined();
    expect(sent[0].command).toBeInstanceOf(DeleteConnectionCommand);
    answer = 'InternalServerError';
    await expect(sockets.deleteConnection('c-3')).rejects.toThrow(/InternalServerError/);
  });

  it('without an endpoint, says the function lacks the sockets access', async () => {
    await expect(new ApiGatewaySockets(undefined).postToConnection('c', {})).rejects.toThrow(/'sockets'/);
  });
});
