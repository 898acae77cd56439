/** Amazon SES on AWS, the dev mailbox locally. */
export interface MailerPort {
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
}

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}
