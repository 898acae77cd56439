import { dispatchOutbox } from '../../shared/domain/outbox/dispatch';
import { getContainer } from '../../shared/runtime/container';

/** Runs on a schedule (and is nudged after writes): publishes outbox rows, including any whose lease expired. */
export const handler = async (): Promise<{ published: number; failed: number }> => {
  const c = await getContainer();
  const result = await dispatchOutbox({ db: c.db, queue: c.queue, workflows: c.workflows, clock: c.clock, logger: c.logger });
  if (result.published || result.failed) c.logger.info(result, 'outbox dispatched');
  return result;
};
