/**
 * Which commit a SARIF log speaks of (SARIF's versionControlProvenance), so
 * code scanning ties alerts to the revision that was tested.
 */
import { execFileSync } from 'node:child_process';

export interface Provenance {
  repositoryUri: string;
  revisionId: string;
  branch?: string;
}

/** Repository, commit and branch of the source root, when it is a git checkout with a URL remote. */
export function gitProvenance(sourceRoot: string): Provenance | undefined {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: sourceRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  try {
    const revisionId = git('rev-parse', 'HEAD');
    const remote = git('config', '--get', 'remote.origin.url');
    const repositoryUri = remoteUrl(remote);
    if (repositoryUri === undefined) return undefined;
    let branch: string | undefined;
    try {
      branch = git('symbolic-ref', '--short', '-q', 'HEAD');
    } catch {
      branch = undefined;
    }
    return { repositoryUri, revisionId, ...(branch ? { branch } : {}) };
  } catch {
    return undefined;
  }
}

/** An absolute URI for a git remote: "git@host:org/repo.git" becomes "https://host/org/repo"; credentials are dropped. */
export function remoteUrl(remote: string): string | undefined {
  const scp = /^[\w.-]+@([\w.-]+):(.+?)(?:\.git)?$/.exec(remote);
  const candidate = scp ? `https://${scp[1]}/${scp[2]}` : remote.replace(/\.git$/, '');
  try {
    const url = new URL(candidate);
    if (url.protocol !== 'https:' && url.protocol !== 'http:' && url.protocol !== 'ssh:') return undefined;
    url.username = '';
    url.password = '';
    return url.href;
  } catch {
    return undefined;
  }
}
