import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { processedMessage } from '../db/schema';

/**
 * Runs `effect` for a message id at most once per consumer, as far as a completed run goes: a redelivered message
 * whose receipt exists is acknowledged without running again. A crash between the effect and the receipt can repeat
 * the effect, so effects pass `messageId` on as their own idempotency key where the target supports one.
 */
export async function processOnce(
  db: Db,
  consumer: string,
  messageId: string,
  effect: () => Promise<void>,
): Promise<'processed' | 'duplicate'> {
  const seen = await db
    .select({ id: processedMessage.messageId })
    .from(processedMessage)
    .where(and(eq(processedMessage.consumer, consumer), eq(processedMessage.messageId, messageId)))
    .limit(1);
  if (seen.length > 0) return 'duplicate';
  await effect();
  await db.insert(processedMessage).values({ consumer, messageId }).onConflictDoNothing();
  return 'processed';
}
