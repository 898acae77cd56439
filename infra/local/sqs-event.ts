import { createHash } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import type { queueMessage } from '../../shared/db/schema';
import { LOCAL_ACCOUNT, LOCAL_REGION, queueArn } from './local-arn';

export type MessageRow = typeof queueMessage.$inferSelect;

/** The event an SQS event source mapping hands a Lambda for a batch of messages. */
export function sqsEvent(queue: string, rows: MessageRow[], receivedAt: Date): SQSEvent {
  return { Records: rows.map((row) => sqsRecord(queue, row, receivedAt)) };
}

function sqsRecord(queue: string, row: MessageRow, receivedAt: Date): SQSRecord {
  return {
    messageId: row.messageId,
    receiptHandle: receiptHandle(row),
    body: row.body,
    attributes: {
      ApproximateReceiveCount: String(row.receiveCount),
      SentTimestamp: String(row.createdAt.getTime()),
      SenderId: LOCAL_ACCOUNT,
      ApproximateFirstReceiveTimestamp: String(receivedAt.getTime()),
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(row.body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn(queue),
    awsRegion: LOCAL_REGION,
  };
}

/** Names one receipt of one message: a later receipt of the same message gets another handle. */
function receiptHandle(row: MessageRow): string {
  return Buffer.from(`${row.messageId}:${row.receiveCount}`).toString('base64url');
}

const BatchResponse = z.union([
  z.undefined(),
  z.null(),
  z.looseObject({ batchItemFailures: z.array(z.strictObject({ itemIdentifier: z.string().min(1) })).nullish() }),
]);

/**
 * The message ids a consumer reported as failed, read as Lambda reads an SQSBatchResponse: nothing (or an empty list)
 * means all succeeded; a malformed response or an id not in the batch fails the whole batch.
 */
export function failedMessageIds(response: unknown, batch: string[]): { ids: Set<string>; whole: boolean } {
  const parsed = BatchResponse.safeParse(response);
  if (!parsed.success) return { ids: new Set(batch), whole: true };
  const ids = new Set((parsed.data?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
  if ([...ids].some((id) => !batch.includes(id))) return { ids: new Set(batch), whole: true };
  return { ids, whole: false };
}
