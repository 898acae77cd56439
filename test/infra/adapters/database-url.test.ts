import { databaseUrlFromSecret } from '../../../shared/adapters/aws/database-url';

const secret = (fields: Record<string, unknown>) => JSON.stringify({ username: 'app', password: 'pw', ...fields });

describe('databaseUrlFromSecret', () => {
  it('uses the secret’s host, port and database unless an endpoint is given', () => {
    expect(databaseUrlFromSecret(secret({ host: 'cluster', port: 5433, dbname: 'proliferate' }))).toBe(
      'postgres://app:pw@cluster:5433/proliferate?sslmode=require',
    );
    expect(databaseUrlFromSecret(secret({ host: 'cluster', port: 5433 }), { host: 'proxy', port: '5432' })).toBe(
      'postgres://app:pw@proxy:5432/postgres?sslmode=require',
    );
  });

  it('escapes credentials and refuses a secret without a host or password', () => {
    expect(databaseUrlFromSecret(JSON.stringify({ username: 'a b', password: 'x@y#z', host: 'h' }))).toBe(
      'postgres://a%20b:x%40y%23z@h:5432/postgres?sslmode=require',
    );
    expect(() => databaseUrlFromSecret(secret({}))).toThrow(/no host/);
    expect(() => databaseUrlFromSecret(JSON.stringify({ username: 'a', host: 'h' }))).toThrow();
  });
});
