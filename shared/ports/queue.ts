/** A durable queue: SQS on AWS, a PostgreSQL table locally. Delivery is at least once. */
export interface QueuePort {
  send(queue: string, body: unknown, options?: { delaySeconds?: number; dedupId?: string }): Promise<{ messageId: string }>;
}
