import { NodeTarget } from '../targets/node/target.js';
import type { NodeAttachOptions } from '../targets/node/target.js';
import type { ProcessInfo } from '../targets/proc.js';
import { runSamplingSession } from './sampling-session.js';
import { makeDirectory } from '../util/make-directory.js';
import type { SessionOptions } from './sampling-session.js';

/**
 * Attaches to a Node process, runs a sampling session on it, and always
 * detaches, saying what detaching confirmed. Shared by attach and run.
 */
export async function sampleNodeTarget(
  pid: number,
  info: ProcessInfo,
  attach: NodeAttachOptions,
  session: Omit<SessionOptions, 'take'>,
  intro: (target: NodeTarget) => string,
): Promise<number> {
  // The output directory first: an --out that cannot be made is found before
  // anything is sent to the target.
  await makeDirectory(session.outDir);
  const target = await NodeTarget.attach(pid, attach, info);
  try {
    session.say(intro(target));
    return await runSamplingSession({ ...session, take: () => target.snapshot() });
  } finally {
    const { agentRemoved, inspectorClosed } = await target.detach();
    session.say(
      `detached from pid ${pid}: ${agentRemoved ? 'agent removed' : 'the agent did not answer; its watchdog removes it within seconds'}` +
        (target.openedInspector ? (inspectorClosed ? ', inspector closed' : `; warning: the inspector is still open on port ${target.inspectorPort}`) : ''),
    );
  }
}
