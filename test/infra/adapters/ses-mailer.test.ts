import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import { SesMailer, type SesClientLike } from '../../../shared/adapters/aws/ses-mailer';
import { fakeClient } from '../support/fake-client';

describe('SesMailer', () => {
  it('sends a simple UTF-8 message from MAIL_FROM, with the HTML part when there is one', async () => {
    const { client, sent } = fakeClient<SesClientLike>((command) => {
      expect(command).toBeInstanceOf(SendEmailCommand);
      return { MessageId: 'ses-1' };
    });
    const mailer = new SesMailer('Proliferate <no-reply@example.com>', client);

    const result = await mailer.send({ to: 'ada@example.com', subject: 'Verify', text: 'Hi', html: '<p>Hi</p>' });
    await mailer.send({ to: 'bob@example.com', subject: 'Plain', text: 'Hello' });

    expect(result).toEqual({ messageId: 'ses-1' });
    expect(sent[0].input).toEqual({
      FromEmailAddress: 'Proliferate <no-reply@example.com>',
      Destination: { ToAddresses: ['ada@example.com'] },
      Content: {
        Simple: {
          Subject: { Data: 'Verify', Charset: 'UTF-8' },
          Body: { Text: { Data: 'Hi', Charset: 'UTF-8' }, Html: { Data: '<p>Hi</p>', Charset: 'UTF-8' } },
        },
      },
    });
    expect(sent[1].input).toMatchObject({ Content: { Simple: { Body: { Text: { Data: 'Hello' } } } } });
    expect((sent[1].input as { Content: { Simple: { Body: object } } }).Content.Simple.Body).not.toHaveProperty('Html');
  });
});
