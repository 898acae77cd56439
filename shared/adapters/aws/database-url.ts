import * as z from 'zod';

/** The JSON an RDS-attached Secrets Manager secret holds (what the CDK's DatabaseSecret writes). */
export const DatabaseSecret = z.looseObject({
  username: z.string().min(1),
  password: z.string().min(1),
  host: z.string().min(1).optional(),
  port: z.coerce.number().int().positive().optional(),
  dbname: z.string().min(1).optional(),
});
export type DatabaseSecret = z.infer<typeof DatabaseSecret>;

export interface DatabaseEndpoint {
  /** Where to connect instead of the secret's host, e.g. the RDS Proxy endpoint. */
  host?: string;
  port?: number | string;
  /** `require` unless said otherwise: only a development server without TLS needs `disable`. */
  sslmode?: 'require' | 'verify-full' | 'disable';
}

/**
 * A postgres:// URL from the database secret. TLS is required: RDS Proxy refuses plain connections, and the
 * cluster's parameter group need not be trusted to.
 */
export function databaseUrlFromSecret(secretString: string, endpoint: DatabaseEndpoint = {}): string {
  const secret = DatabaseSecret.parse(JSON.parse(secretString));
  const host = endpoint.host || secret.host;
  if (!host) throw new Error('the database secret has no host and none was given');
  const port = Number(endpoint.port || secret.port || 5432);
  const user = encodeURIComponent(secret.username);
  const password = encodeURIComponent(secret.password);
  const database = encodeURIComponent(secret.dbname ?? 'postgres');
  return `postgres://${user}:${password}@${host}:${port}/${database}?sslmode=${endpoint.sslmode ?? 'require'}`;
}
