/** Amazon SES on AWS, the dev mailbox locally. */
export interface MailerPort {
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
}

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** The queue message id: a mailer that can deduplicate (the dev mailbox) sends a repeated key only once. */
  idempotencyKey?: string;
}
