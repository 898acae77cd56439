import { SnapshotBuildTask } from '../../shared/contracts/repos';
import { runSnapshotBuildTask } from '../../shared/domain/repos/snapshot-build';
import { getContainer } from '../../shared/runtime/container';
import { createSandboxProvider } from '../../shared/sandbox/providers';

/** The tasks of the snapshot-build workflow (MarkBuilding, BuildSnapshot, MarkReady, MarkFailed), chosen by `action`. */
export const handler = async (event: unknown): Promise<Record<string, unknown>> => {
  const c = await getContainer({ createSandboxProvider });
  const task = SnapshotBuildTask.parse(event);
  return runSnapshotBuildTask(
    {
      db: c.db,
      clock: c.clock,
      logger: c.logger.child({ component: 'snapshot-build', ...('configurationId' in task ? { configurationId: task.configurationId } : { provider: task.provider }) }),
      provider: (kind) => c.sandboxes.provider(kind),
      daemon: () => c.sandboxes.daemon(),
      endpoints: c.sandboxes.endpoints,
    },
    task,
  );
};
