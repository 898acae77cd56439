import { MailTemplate } from '../../contracts/messages';
import type { Db } from '../../db/client';
import type { MailerPort } from '../../ports';
import { processOnce } from '../receipts';
import { renderMail } from './templates';

/** The mail queue's consumer: renders the template and sends it once per message id. */
export async function sendQueuedMail(
  deps: { db: Db; mailer: MailerPort },
  message: { id: string; payload: unknown },
): Promise<'processed' | 'duplicate'> {
  const mail = MailTemplate.parse(message.payload);
  return processOnce(deps.db, 'mail-sender', message.id, async () => {
    await deps.mailer.send({ ...renderMail(mail), idempotencyKey: message.id });
  });
}
