/**
 * Blocks that a program makes on purpose and that last as long as it does.
 *
 * A server's `main` has to wait somewhere while its listeners run: in
 * `select {}`, on `<-make(chan struct{})`, on a signal channel, on a
 * WaitGroup of its servers. That wait never ends and nothing will ever
 * wake it, so Go's goroutineleak profile marks it `(leaked)` when nothing
 * else references the channel; but it is the program's lifetime, not a
 * leak. The same holds for a lone goroutine parked in `select {}` (no
 * cases): nothing can wake it, and nobody writes that by accident. Many
 * goroutines parked there at one site still show as growth or as a stuck
 * pile; only the runtime's mark is set aside for them.
 */
import type { Frame, Task } from '../model/format.js';

/** Go's main goroutine: its wait is the program's lifetime, never a pile that leaks. */
export function isMainGoroutine(task: Task, anchor: Frame | undefined, runtime: string): boolean {
  if (runtime !== 'go') return false;
  // Go numbers the main goroutine 1; a dump without ids still shows it as
  // main.main with no `created by` line.
  return task.id === '1' || (task.id === undefined && task.createdBy === undefined && anchor?.fn === 'main.main');
}

/** Why a task's endless wait is meant, or undefined when it is not known to be. */
export function intentionalBlock(task: Task, anchor: Frame | undefined, runtime: string): string | undefined {
  if (isMainGoroutine(task, anchor, runtime)) return 'main waits here for the life of the program';
  if (runtime === 'go' && task.state === 'select (no cases)') return 'select {} parks a goroutine on purpose';
  return undefined;
}
