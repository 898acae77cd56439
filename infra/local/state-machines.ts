import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { StateMachineSpec } from '../manifest';

export const localFunctionArn = (name: string) => `arn:aws:lambda:local:000000000000:function:${name}`;
export const localQueueUrl = (name: string) => `http://local/queues/${name}`;

/**
 * Reads each ASL file and fills its `${Placeholders}` the way the CDK's definitionSubstitutions does, with local ARNs
 * that the runner maps back to the manifest's functions.
 */
export function loadStateMachines(specs: Record<string, StateMachineSpec>, root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const values: Record<string, string> = {};
    for (const [key, fn] of Object.entries(spec.functions)) values[key] = localFunctionArn(fn);
    for (const [key, q] of Object.entries(spec.queues ?? {})) values[key] = localQueueUrl(q);
    out[name] = substitute(readFileSync(path.join(root, spec.file), 'utf8'), values, spec.file);
  }
  return out;
}

export function substitute(asl: string, values: Record<string, string>, file = 'definition'): string {
  return asl.replace(/\$\{(\w+)\}/g, (_m, key: string) => {
    if (!(key in values)) throw new Error(`${file}: no substitution for \${${key}}`);
    return values[key];
  });
}
