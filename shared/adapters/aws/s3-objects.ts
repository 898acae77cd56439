import type { S3Client } from '@aws-sdk/client-s3';
import type { ObjectsPort } from '../../ports';
import { errorName, NotWiredError } from './errors';
import { clientOf } from './lazy';

export type S3ClientLike = Pick<S3Client, 'send'>;

/** ObjectsPort on one S3 bucket (OBJECTS_BUCKET); the bucket's default encryption applies to every object. */
export class S3Objects implements ObjectsPort {
  private readonly client: () => Promise<S3ClientLike>;

  constructor(
    private readonly bucket: string | undefined,
    client?: S3ClientLike,
  ) {
    this.client = clientOf(client, async () => new (await import('@aws-sdk/client-s3')).S3Client({}));
  }

  async put(key: string, body: Buffer | string, options: { contentType?: string } = {}): Promise<void> {
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    await (await this.client()).send(
      new PutObjectCommand({ Bucket: this.bucketName(), Key: key, Body: body, ContentType: options.contentType }),
    );
  }

  async get(key: string): Promise<{ body: Buffer; contentType?: string } | null> {
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    try {
      const out = await (await this.client()).send(new GetObjectCommand({ Bucket: this.bucketName(), Key: key }));
      const bytes = out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
      return { body: Buffer.from(bytes), contentType: out.ContentType };
    } catch (err) {
      if (errorName(err) === 'NoSuchKey') return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
    await (await this.client()).send(new DeleteObjectCommand({ Bucket: this.bucketName(), Key: key }));
  }

  async list(prefix: string): Promise<string[]> {
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const client = await this.client();
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await client.send(
        new ListObjectsV2Command({ Bucket: this.bucketName(), Prefix: prefix, ContinuationToken: token }),
      );
      for (const item of out.Contents ?? []) if (item.Key) keys.push(item.Key);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  private bucketName(): string {
    if (!this.bucket) throw NotWiredError.missingAccess('the objects bucket', 'objects');
    return this.bucket;
  }
}
