import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { QueueEnvelope } from '../contracts/messages';
import { getContainer, type Container, type ContainerNeeds } from '../runtime/container';
import type { Logger } from '../runtime/logger';

/**
 * An SQS consumer: each record's body is parsed as our envelope and handled on its own; failures are reported per
 * record (partial batch response), so one bad message is retried (and eventually dead-lettered) without its batch.
 */
export function sqsConsumer(
  name: string,
  handle: (message: QueueEnvelope, deps: { c: Container; logger: Logger; record: SQSRecord }) => Promise<void>,
  needs: ContainerNeeds = {},
) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const c = await getContainer(needs);
    const logger = c.logger.child({ consumer: name });
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      try {
        let body: unknown;
        try {
          body = JSON.parse(record.body);
        } catch {
          throw new Error('message body is not JSON');
        }
        const message = QueueEnvelope.parse(body);
        await handle(message, { c, logger: logger.child({ messageId: message.id }), record });
      } catch (err) {
        logger.warn({ sqsMessageId: record.messageId, receiveCount: record.attributes?.ApproximateReceiveCount, err: (err as Error).message }, 'message failed');
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  };
}
