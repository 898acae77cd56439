import { OrgEvent } from '../../shared/contracts/messages';
import { processOnce } from '../../shared/domain/receipts';
import { broadcastToOrganization } from '../../shared/realtime/connections';
import { sqsConsumer } from '../../shared/queues/sqs';

export const handler = sqsConsumer('event-fanout', async (message, { c, logger }) => {
  const event = OrgEvent.parse(message.payload);
  await processOnce(c.db, 'event-fanout', message.id, async () => {
    const delivered = await broadcastToOrganization(c, event.organizationId, {
      type: 'org.event',
      event: event.type,
      organizationId: event.organizationId,
      data: event.data,
    });
    logger.debug({ event: event.type, delivered }, 'org event pushed');
  });
});
