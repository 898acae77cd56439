import { sql } from 'drizzle-orm';
import {
  handleMigrationEvent,
  migrationsFolder,
  PHYSICAL_RESOURCE_ID,
  type CloudFormationResponse,
  type MigrationDeps,
} from '../../functions/custom/migrate';
import { createDb, migrate, MIGRATIONS_DIR, type DbHandle } from '../../shared/db/client';
import { rowsOf } from '../../shared/db/rows';

const event = (type: 'Create' | 'Update' | 'Delete', extra: Record<string, unknown> = {}) => ({
  RequestType: type,
  ResponseURL: 'https://cloudformation-custom-resource-response.s3.amazonaws.com/signed',
  StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/proliferate-data/1',
  RequestId: 'req-1',
  LogicalResourceId: 'MigrationsResource',
  ResourceType: 'Custom::DatabaseMigrations',
  ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:migrate',
  ResourceProperties: { ServiceToken: 'x', MigrationsHash: 'abc' },
  ...extra,
});

function deps(runMigrations: () => Promise<void>) {
  const responses: { url: string; body: CloudFormationResponse }[] = [];
  const d: MigrationDeps = {
    runMigrations: jest.fn(runMigrations),
    respond: async (url, body) => {
      responses.push({ url, body });
    },
    log: () => {},
  };
  return { d, responses };
}

describe('the migrations custom resource', () => {
  it('migrates on Create and answers SUCCESS with a stable physical id', async () => {
    const { d, responses } = deps(async () => {});
    const result = await handleMigrationEvent(event('Create'), d);
    expect(result.status).toBe('SUCCESS');
    expect(d.runMigrations).toHaveBeenCalledTimes(1);
    expect(responses).toEqual([
      {
        url: event('Create').ResponseURL,
        body: expect.objectContaining({
          Status: 'SUCCESS',
          PhysicalResourceId: PHYSICAL_RESOURCE_ID,
          StackId: event('Create').StackId,
          RequestId: 'req-1',
          LogicalResourceId: 'MigrationsResource',
        }),
      },
    ]);
  });

  it('keeps the physical id on Update, so CloudFormation never deletes the old one', async () => {
    const { d, responses } = deps(async () => {});
    await handleMigrationEvent(event('Update', { PhysicalResourceId: PHYSICAL_RESOURCE_ID }), d);
    expect(responses[0].body.PhysicalResourceId).toBe(PHYSICAL_RESOURCE_ID);
    expect(d.runMigrations).toHaveBeenCalledTimes(1);
  });

  it('does nothing to the database on Delete', async () => {
    const { d, responses } = deps(async () => {});
    await handleMigrationEvent(event('Delete', { PhysicalResourceId: PHYSICAL_RESOURCE_ID }), d);
    expect(d.runMigrations).not.toHaveBeenCalled();
    expect(responses[0].body.Status).toBe('SUCCESS');
  });

  it('answers FAILED with the reason when a migration fails, so the deployment rolls back', async () => {
    const { d, responses } = deps(async () => {
      throw new Error('relation "user" already exists');
    });
    const result = await handleMigrationEvent(event('Update'), d);
    expect(result.status).toBe('FAILED');
    expect(responses[0].body.Reason).toMatch(/relation "user" already exists/);
  });

  it('answers FAILED before Lambda’s timeout instead of leaving CloudFormation waiting', async () => {
    const { d, responses } = deps(() => new Promise(() => {}));
    const result = await handleMigrationEvent(event('Create'), d, () => 10_050);
    expect(result).toEqual({ status: 'FAILED', reason: 'migrations did not finish in time' });
    expect(responses[0].body.Status).toBe('FAILED');
  });

  it('refuses what is not a CloudFormation event', async () => {
    const { d } = deps(async () => {});
    await expect(handleMigrationEvent({ RequestType: 'Create' }, d)).rejects.toThrow(/not a CloudFormation/);
  });

  it('finds the migrations next to the bundle on Lambda', () => {
    expect(migrationsFolder({ LAMBDA_TASK_ROOT: '/var/task' })).toBe('/var/task/migrations');
  });

  describe('on a real database', () => {
    let handle: DbHandle;
    beforeAll(async () => {
      handle = await createDb({});
    });
    afterAll(async () => handle.close());

    it('applies the repository’s migrations, and a second deploy applies nothing new', async () => {
      const { d, responses } = deps(() => migrate(handle, MIGRATIONS_DIR));
      await handleMigrationEvent(event('Create'), d);
      const count = async () =>
        rowsOf<{ n: number }>(await handle.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`))[0].n;
      const applied = await count();
      await handleMigrationEvent(event('Update'), d);

      expect(responses.map((r) => r.body.Status)).toEqual(['SUCCESS', 'SUCCESS']);
      expect(applied).toBeGreaterThan(0);
      expect(await count()).toBe(applied);
    });
  });
});
