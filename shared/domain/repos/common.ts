import { randomBytes } from 'node:crypto';
import { DomainError } from '../errors';

export interface Page {
  q?: string;
  limit: number;
  offset: number;
}

/** `%q%` for ILIKE with the wildcards and the escape character taken literally (Postgres escapes with `\` by default). */
export const containsPattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export const nextOffset = (page: Page, total: number) => (page.offset + page.limit < total ? page.offset + page.limit : null);

export const newRepoId = () => `repo_${randomBytes(12).toString('base64url')}`;
export const newConfigurationId = () => `cfg_${randomBytes(12).toString('base64url')}`;

/** A 404 that names the field holding the id, like every other refusal. */
export const missing = (what: string, field: string) =>
  new DomainError('not_found', 'not_found', `${what} not found`, [{ field, message: `no such ${what.toLowerCase()} in this organisation` }]);
