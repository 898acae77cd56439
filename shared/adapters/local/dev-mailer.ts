import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/client';
import { devMail } from '../../db/schema';
import type { Logger } from '../../runtime/logger';
import type { MailerPort, OutgoingMail } from '../../ports';

/** Keeps outgoing mail in the database, readable at /dev/mail; a repeated idempotency key is stored once. */
export class DevMailer implements MailerPort {
  constructor(
    private readonly db: Db,
    private readonly from: string,
    private readonly logger: Logger,
  ) {}

  async send(mail: OutgoingMail): Promise<{ messageId: string }> {
    const id = mail.idempotencyKey ?? randomUUID();
    await this.db
      .insert(devMail)
      .values({ id, to: mail.to.toLowerCase(), from: this.from, subject: mail.subject, text: mail.text, html: mail.html ?? null })
      .onConflictDoNothing();
    this.logger.info({ mailId: id, subject: mail.subject }, 'mail kept in the dev mailbox');
    return { messageId: id };
  }
}
