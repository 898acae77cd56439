import type { SQSClient } from '@aws-sdk/client-sqs';
import type { QueuePort } from '../../ports';
import { NotWiredError } from './errors';
import { clientOf } from './lazy';

export type SqsClientLike = Pick<SQSClient, 'send'>;

/** SQS's limit on a per-message delay. */
export const MAX_DELAY_SECONDS = 900;

/** QueuePort on SQS: a queue's name (from the manifest) maps to its URL through QUEUE_URLS. */
export class SqsQueue implements QueuePort {
  private readonly client: () => Promise<SqsClientLike>;

  constructor(
    private readonly queueUrls: Record<string, string>,
    client?: SqsClientLike,
  ) {
    this.client = clientOf(client, async () => new (await import('@aws-sdk/client-sqs')).SQSClient({}));
  }

  async send(
    queue: string,
    body: unknown,
    options: { delaySeconds?: number; dedupId?: string } = {},
  ): Promise<{ messageId: string }> {
    const url = this.queueUrls[queue];
    if (!url) throw NotWiredError.missingAccess(`queue '${queue}'`, 'queues');
    const delay = options.delaySeconds;
    if (delay !== undefined && (delay < 0 || delay > MAX_DELAY_SECONDS)) {
      throw new RangeError(`SQS delays are 0–${MAX_DELAY_SECONDS} seconds, not ${delay}`);
    }
    const { SendMessageCommand } = await import('@aws-sdk/client-sqs');
    const fifo = url.endsWith('.fifo');
    const out = await (await this.client()).send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: JSON.stringify(body),
        DelaySeconds: delay === undefined ? undefined : Math.round(delay),
        // Standard queues reject deduplication ids; their consumers are idempotent instead.
        ...(fifo ? { MessageDeduplicationId: options.dedupId, MessageGroupId: queue } : {}),
      }),
    );
    return { messageId: out.MessageId ?? '' };
  }
}
