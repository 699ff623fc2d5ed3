/**
 * Sites the Node target makes for resources it counts but cannot place at a
 * line. The frame name is the site's identity: the target writes it into
 * the snapshot, and the analysis finds the site by it (unplaced-promises.ts).
 */

/** Resources of `kind` the census found made before attach with no place to name: "(created before attach) Promise". */
export function beforeAttachFrame(kind: string): string {
  return `${BEFORE_ATTACH_PREFIX} ${kind}`;
}

export const BEFORE_ATTACH_PREFIX = '(created before attach)';

/**
 * Pending promises made since attach that no record of the agent places: a
 * sampling agent watches short windows, and until one of them catches a
 * promise that stays pending, the census's count is all there is.
 */
export const UNPLACED_PROMISES_FRAME = '(made since attach, not yet placed) Promise';

export const UNPLACED_PROMISES_WORDS = 'Promise (made while the agent was not watching; where is not known yet)';
