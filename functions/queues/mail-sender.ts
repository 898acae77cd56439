import { sendQueuedMail } from '../../shared/domain/mail/send-mail';
import { sqsConsumer } from '../../shared/queues/sqs';

export const handler = sqsConsumer('mail-sender', async (message, { c, logger }) => {
  const result = await sendQueuedMail({ db: c.db, mailer: c.mailer }, message);
  logger.info({ result }, 'mail');
});
