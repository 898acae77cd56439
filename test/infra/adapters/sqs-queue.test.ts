import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { SqsQueue, type SqsClientLike } from '../../../shared/adapters/aws/sqs-queue';
import { fakeClient } from '../support/fake-client';

const URLS = {
  mail: 'https://sqs.eu-west-1.amazonaws.com/123456789012/mail',
  ordered: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ordered.fifo',
};

describe('SqsQueue', () => {
  it('sends the JSON body to the URL of the named queue', async () => {
    // Prepare
    const { client, sent } = fakeClient<SqsClientLike>((command) => {
      expect(command).toBeInstanceOf(SendMessageCommand);
      return { MessageId: 'm-1' };
    });
    const queue = new SqsQueue(URLS, client);

    // Act
    const result = await queue.send('mail', { id: '7', topic: 'mail.send' }, { delaySeconds: 30, dedupId: 'x' });

    // Assess
    expect(result).toEqual({ messageId: 'm-1' });
    expect(sent[0].input).toEqual({
      QueueUrl: URLS.mail,
      MessageBody: '{"id":"7","topic":"mail.send"}',
      DelaySeconds: 30,
    });
  });

  it('passes the deduplication id only to FIFO queues', async () => {
    const { client, sent } = fakeClient<SqsClientLike>(() => ({ MessageId: 'm-2' }));
    await new SqsQueue(URLS, client).send('ordered', { a: 1 }, { dedupId: 'row-9' });
    expect(sent[0].input).toMatchObject({ MessageDeduplicationId: 'row-9', MessageGroupId: 'ordered' });
  });

  it('refuses a queue the function was not given, naming the access to add', async () => {
    const { client, sent } = fakeClient<SqsClientLike>(() => ({}));
    await expect(new SqsQueue(URLS, client).send('billing', {})).rejects.toThrow(/queue 'billing'.*'queues'/);
    expect(sent).toHaveLength(0);
  });

  it('refuses a delay SQS cannot honour rather than shortening it', async () => {
    const { client } = fakeClient<SqsClientLike>(() => ({}));
    await expect(new SqsQueue(URLS, client).send('mail', {}, { delaySeconds: 3600 })).rejects.toThrow(RangeError);
  });
});
