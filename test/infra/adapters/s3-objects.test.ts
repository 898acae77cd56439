import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { S3Objects, type S3ClientLike } from '../../../shared/adapters/aws/s3-objects';
import { fakeClient, serviceError } from '../support/fake-client';

describe('S3Objects', () => {
  it('puts, gets and deletes objects in its bucket', async () => {
    const stored = new Map<string, { body: Buffer; type?: string }>();
    const { client } = fakeClient<S3ClientLike>((command, input) => {
      expect(input.Bucket).toBe('objects-bucket');
      const key = input.Key as string;
      if (command instanceof PutObjectCommand) {
        stored.set(key, { body: Buffer.from(input.Body as string | Buffer), type: input.ContentType as string });
        return {};
      }
      if (command instanceof GetObjectCommand) {
        const hit = stored.get(key);
        if (!hit) throw serviceError('NoSuchKey', 404);
        return { Body: { transformToByteArray: async () => new Uint8Array(hit.body) }, ContentType: hit.type };
      }
      if (command instanceof DeleteObjectCommand) {
        stored.delete(key);
        return {};
      }
      throw new Error('unexpected command');
    });
    const objects = new S3Objects('objects-bucket', client);

    await objects.put('org/1/a.txt', 'hello', { contentType: 'text/plain' });
    const got = await objects.get('org/1/a.txt');
    await objects.delete('org/1/a.txt');

    expect(got?.body.toString()).toBe('hello');
    expect(got?.contentType).toBe('text/plain');
    expect(await objects.get('org/1/a.txt')).toBeNull();
  });

  it('lists every key under a prefix, across pages', async () => {
    const { client, sent } = fakeClient<S3ClientLike>((command, input) => {
      expect(command).toBeInstanceOf(ListObjectsV2Command);
      return input.ContinuationToken
        ? { Contents: [{ Key: 'p/3' }], IsTruncated: false }
        : { Contents: [{ Key: 'p/1' }, { Key: 'p/2' }], IsTruncated: true, NextContinuationToken: 'next' };
    });
    expect(await new S3Objects('objects-bucket', client).list('p/')).toEqual(['p/1', 'p/2', 'p/3']);
    expect(sent.map((s) => s.input.ContinuationToken)).toEqual([undefined, 'next']);
  });

  it('fails other errors, and says so when the function has no bucket', async () => {
    const { client } = fakeClient<S3ClientLike>(() => {
      throw serviceError('AccessDenied', 403);
    });
    await expect(new S3Objects('objects-bucket', client).get('k')).rejects.toThrow(/AccessDenied/);
    await expect(new S3Objects(undefined, client).get('k')).rejects.toThrow(/'objects'/);
  });
});
