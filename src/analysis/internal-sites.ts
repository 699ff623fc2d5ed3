/**
 * Node's own sites, folded out of the reports when they score low. A Node
 * service always holds resources that Node made for itself with no frame of
 * the program (the HTTP server's connection-check timer, the stdio pipes,
 * the promises of its module loader): listed among the suspects they push
 * the user's own code down the table, and the user can do nothing about
 * them. A site all of whose frames are Node's code (node:..., internal/...)
 * and that scores under FOLD_INTERNAL_BELOW is counted, not listed; one that
 * scores higher (Node's code holding a growing pile for the program) is
 * listed as any other. Sites without a code frame (a socket by its address,
 * resources the census counts without a stack) are the program's resources
 * and stay listed.
 */
import type { Analysis } from './analyze.js';
import type { Suspect } from './score.js';
import { isNodeInternalFrame } from '../model/runtime-frames.js';

/** The score under which a site is no suspect (docs/scoring.md: under 30 stays quiet). */
export const FOLD_INTERNAL_BELOW = 30;

/** Every frame of the site's stack is Node's own code: there is no line of the program to show. */
export function isNodeInternalSite(suspect: Suspect): boolean {
  const stack = suspect.site.exampleStack;
  return stack.length > 0 && stack.every((frame) => frame.file !== '' && isNodeInternalFrame(frame));
}

/** The suspects a report lists, and the Node-internal ones it folds (both highest score first). */
export function foldInternalSites(analysis: Analysis): { listed: Suspect[]; folded: Suspect[] } {
  if (analysis.series.runtime !== 'node') return { listed: analysis.suspects, folded: [] };
  const listed: Suspect[] = [];
  const folded: Suspect[] = [];
  for (const suspect of analysis.suspects) {
    if (suspect.score < FOLD_INTERNAL_BELOW && !suspect.confirmed && isNodeInternalSite(suspect)) folded.push(suspect);
    else listed.push(suspect);
  }
  return { listed, folded };
}
