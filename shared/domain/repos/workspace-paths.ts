import { validationFailed, type FieldIssue } from '../errors';

export interface RepoLinkRequest {
  repoId: string;
  /** The repo's name (`owner/name` or a folder name); its last segment names the folder. */
  repoName: string;
  /** Asked for explicitly (already shape-checked by the contract). */
  explicit?: string;
  /** The folder this repo had in the configuration before, kept when still possible so folder names stay stable. */
  previous?: string;
}

/** Two folders clash when they are the same or one is inside the other (one clone would land in another's). */
const clashes = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);

/** The folder a repo gets by default: its name's last segment, reduced to letters, digits, `.`, `_` and `-`. */
export function defaultFolder(repoName: string): string {
  const last = repoName.split('/').filter(Boolean).pop() ?? '';
  const folder = last
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 100);
  return folder || 'repo';
}

/**
 * Where each repo of a configuration is checked out, relative to the workspace. One repo: `.` (the workspace itself)
 * unless asked otherwise. Several: what was asked for, else the folder it had, else its name's last segment made
 * unique (`api`, `api-2`). `.` is only for a single repo, and no folder may be inside another. Errors name the field
 * (`body.repos.<i>.…`).
 */
export function assignWorkspacePaths(links: RepoLinkRequest[]): string[] {
  const field = (i: number, key: string) => `body.repos.${i}.${key}`;
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  links.forEach((l, i) => {
    if (seen.has(l.repoId)) issues.push({ field: field(i, 'repoId'), message: 'this repo is listed twice' });
    seen.add(l.repoId);
  });
  if (issues.length) throw validationFailed(issues);

  if (links.length === 1) return [links[0].explicit ?? '.'];

  const paths: (string | undefined)[] = links.map(() => undefined);
  const taken: string[] = [];
  links.forEach((l, i) => {
    if (l.explicit === undefined) return;
    if (l.explicit === '.') {
      issues.push({ field: field(i, 'workspacePath'), message: 'only a configuration with a single repo can use the workspace itself (.)' });
      return;
    }
    const other = taken.find((t) => clashes(t, l.explicit!));
    if (other !== undefined) {
      issues.push({ field: field(i, 'workspacePath'), message: `clashes with ${other} (the same folder, or one inside the other)` });
      return;
    }
    taken.push(l.explicit);
    paths[i] = l.explicit;
  });
  if (issues.length) throw validationFailed(issues);

  links.forEach((l, i) => {
    if (paths[i] !== undefined) return;
    if (l.previous && l.previous !== '.' && !taken.some((t) => clashes(t, l.previous!))) {
      paths[i] = l.previous;
      taken.push(l.previous);
    }
  });
  links.forEach((l, i) => {
    if (paths[i] !== undefined) return;
    const base = defaultFolder(l.repoName);
    let candidate = base;
    for (let n = 2; taken.some((t) => clashes(t, candidate)); n++) candidate = `${base}-${n}`;
    paths[i] = candidate;
    taken.push(candidate);
  });
  return paths as string[];
}
