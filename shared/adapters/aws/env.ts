import * as z from 'zod';

const NameMap = z.record(z.string(), z.string());

/** Reads a `{"name": "value"}` JSON object from an environment variable (QUEUE_URLS, STATE_MACHINE_ARNS). */
export function parseNameMap(variable: string, json: string | undefined): Record<string, string> {
  if (!json) return {};
  const parsed = NameMap.safeParse(parseJson(json));
  if (!parsed.success) throw new Error(`${variable} must be a JSON object of name → string`);
  return parsed.data;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
