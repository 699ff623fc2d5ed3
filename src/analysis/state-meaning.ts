/**
 * What a long wait in a state says about a task, when the task has sat in
 * that state at the same frame for a whole window (or the runtime says it
 * has waited minutes). 0..1: how sure a healthy program would not do this.
 *
 * - A lock, RWMutex or WaitGroup that is not released for a minute is a
 *   deadlock: healthy code holds locks for microseconds to milliseconds,
 *   and a WaitGroup waits for work that ends. (The main goroutine waiting
 *   on its servers is set aside before this; see intentional.ts.)
 * - A nil channel never delivers, so a wait on one never returns.
 * - A send that no receiver takes for a minute is the classic leak: the
 *   receiver returned early (timeout, error path) and the sender was left.
 * - A goroutine asleep at the same place at every look is a timer loop; a
 *   few are pollers, a pile of them is a retry loop that never ends.
 * - Receives and selects are what idle consumers do: workers waiting for a
 *   job, stream and subscription loops waiting for a message, a ticker loop
 *   with a context. A pile of them is only a leak with other evidence.
 *   A sync.Cond wait is the same thing written with a mutex-guarded buffer
 *   instead of a channel: every HTTP/2 body read in net/http and
 *   x/net/http2 (a streaming client waiting for the next event) and every
 *   idle worker of a client-go workqueue waits there, signalled each time
 *   data comes, and is caught waiting again at the next look.
 * - IO wait is an idle connection waiting for its peer: the peer decides
 *   how long it lives.
 */
export interface StateMeaning {
  weight: number;
  /** Why, in a few words, for the explanation line. */
  says: string;
}

export function stateMeaning(state: string): StateMeaning {
  const s = state.toLowerCase();
  if (s === 'running' || s === 'runnable' || s.startsWith('gc ') || s === 'preempted') return { weight: 0, says: 'working' };
  if (s.endsWith('(nil chan)')) return { weight: 1, says: 'a nil channel never delivers' };
  if (s.startsWith('sync.mutex') || s.startsWith('sync.rwmutex') || s === 'semacquire') {
    return { weight: 1, says: 'a lock not released for that long is a deadlock' };
  }
  if (s.startsWith('sync.waitgroup')) return { weight: 0.9, says: 'a WaitGroup that never reaches zero is a deadlock' };
  if (s === 'select (no cases)') return { weight: 0.8, says: 'select {} never returns' };
  if (s.startsWith('chan send')) return { weight: 0.8, says: 'a send no receiver takes: the receiver is gone' };
  if (s === 'sleep') return { weight: 0.3, says: 'a timer loop that never ends' };
  if (s === 'pending') return { weight: 0.3, says: 'a promise that never settles' };
  if (s.startsWith('chan receive') || s.startsWith('select') || s === 'sync.cond.wait') {
    return { weight: 0.15, says: 'idle consumers wait like this by design' };
  }
  if (s === 'active') return { weight: 0.15, says: 'a live handle may be meant to live' };
  if (s === 'io wait' || s === 'syscall' || s.startsWith('netpoll')) return { weight: 0.1, says: 'idle connections wait like this by design' };
  if (s === 'unknown') return { weight: 0, says: 'state unknown' };
  return { weight: 0.3, says: 'an unusual wait' };
}
