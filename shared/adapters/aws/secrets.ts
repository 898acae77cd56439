import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientOf } from './lazy';

export type SecretsManagerClientLike = Pick<SecretsManagerClient, 'send'>;

/** Reads Secrets Manager secrets (the database credentials, the auth signing secret) once per cold start. */
export class SecretsManagerSecrets {
  private readonly client: () => Promise<SecretsManagerClientLike>;

  constructor(client?: SecretsManagerClientLike) {
    this.client = clientOf(
      client,
      async () => new (await import('@aws-sdk/client-secrets-manager')).SecretsManagerClient({}),
    );
  }

  async getString(secretId: string): Promise<string> {
    const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const out = await (await this.client()).send(new GetSecretValueCommand({ SecretId: secretId }));
    if (out.SecretString === undefined) throw new Error(`secret ${secretId} has no string value`);
    return out.SecretString;
  }
}
