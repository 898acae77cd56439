import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { MailerPort, OutgoingMail } from '../../ports';
import { clientOf } from './lazy';

export type SesClientLike = Pick<SESv2Client, 'send'>;

/**
 * MailerPort on Amazon SES (v2 SendEmail) from MAIL_FROM. SES does not deduplicate: the mail queue's consumer records
 * what it sent, so a redelivered message is not mailed twice.
 */
export class SesMailer implements MailerPort {
  private readonly client: () => Promise<SesClientLike>;

  constructor(
    private readonly from: string,
    client?: SesClientLike,
  ) {
    this.client = clientOf(client, async () => new (await import('@aws-sdk/client-sesv2')).SESv2Client({}));
  }

  async send(mail: OutgoingMail): Promise<{ messageId: string }> {
    const { SendEmailCommand } = await import('@aws-sdk/client-sesv2');
    const out = await (await this.client()).send(
      new SendEmailCommand({
        FromEmailAddress: this.from,
        Destination: { ToAddresses: [mail.to] },
        Content: {
          Simple: {
            Subject: { Data: mail.subject, Charset: 'UTF-8' },
            Body: {
              Text: { Data: mail.text, Charset: 'UTF-8' },
              ...(mail.html ? { Html: { Data: mail.html, Charset: 'UTF-8' } } : {}),
            },
          },
        },
      }),
    );
    if (!out.MessageId) throw new Error('SES returned no message id');
    return { messageId: out.MessageId };
  }
}
