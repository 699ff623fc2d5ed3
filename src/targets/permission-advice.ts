/**
 * What to do when Linux refuses leakscan a look at a process (/proc/<pid>/exe)
 * or a signal to it, in words that are true for whoever runs leakscan.
 * "Run as root" is no advice to root: root is refused too when it lacks the
 * capability (a container drops CAP_SYS_PTRACE by default), when it is root
 * only inside a user namespace, or when a security module says no.
 */
import { readFileSync } from 'node:fs';

/** The refused action and the capability that lets root do it to any process. */
const NEEDS = {
  read: { capability: 'CAP_SYS_PTRACE', bit: 19, grant: 'containers drop it by default: docker run --cap-add=SYS_PTRACE' },
  signal: { capability: 'CAP_KILL', bit: 5, grant: 'dropped by the container or service that runs leakscan; docker run --cap-add=KILL restores it' },
} as const;

export type RefusedAction = keyof typeof NEEDS;

export function permissionAdvice(action: RefusedAction): string {
  if (process.getuid?.() !== 0) return 'run leakscan as the same user as the target, or as root';
  if (!ownsInitialUserNamespace()) {
    return 'leakscan is root only inside a user namespace (a rootless container), which gives it no rights over processes outside it; run it where the target runs, as its user';
  }
  const need = NEEDS[action];
  const capable = effectiveCapabilities();
  if (capable !== undefined && (capable & (1n << BigInt(need.bit))) === 0n) {
    return `leakscan runs as root but without ${need.capability} (${need.grant}); grant it, or run leakscan as the same user as the target`;
  }
  return `leakscan runs as root with ${need.capability} and was still refused: a security module (AppArmor, SELinux) denies it; its audit log names the rule`;
}

/** The effective capability set of this process, from /proc/self/status; undefined when unreadable. */
function effectiveCapabilities(): bigint | undefined {
  try {
    const line = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return line ? BigInt(`0x${line[1]}`) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether uid 0 here is the machine's root: the initial user namespace maps every uid to itself. */
function ownsInitialUserNamespace(): boolean {
  try {
    const [inside, outside, count] = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/);
    return inside === '0' && outside === '0' && count === '4294967295';
  } catch {
    return true;
  }
}
