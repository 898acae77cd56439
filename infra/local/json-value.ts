import type { RunOptions } from 'aws-local-stepfunctions';

type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
/** A Task override as aws-local-stepfunctions calls it (the library does not export the type). */
export type TaskHandler = TaskHandlers[string];
/** The library's JSON value type, which it does not export either. */
export type JsonValue = Parameters<TaskHandler>[0];
export type JsonObject = { [key: string]: JsonValue };

/** Step Functions passes JSON between states: a value crosses as JSON does (undefined → null, Dates → strings). */
export function toJson(value: unknown): JsonValue {
  if (value === undefined) return null;
  const parsed: JsonValue = JSON.parse(JSON.stringify(value));
  return parsed;
}

export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON with object keys sorted, so two equal values (whatever their key order) compare equal as strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(toJson(value)));
}

function sortKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isJsonObject(value)) return value;
  const out: JsonObject = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]);
  return out;
}

/** Every occurrence of the string `from` (as a whole value) inside `value`, replaced with `to`. */
export function replaceString(value: JsonValue, from: string, to: string): JsonValue {
  if (value === from) return to;
  if (Array.isArray(value)) return value.map((v) => replaceString(v, from, to));
  if (!isJsonObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) out[key] = replaceString(v, from, to);
  return out;
}
