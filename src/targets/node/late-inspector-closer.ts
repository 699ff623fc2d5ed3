/**
 * A watcher leakscan leaves behind when it sent SIGUSR1 to a Node process
 * that did not open its inspector in time (busy, or blocked in native code:
 * the inspector opens when the event loop next runs). It waits for the
 * inspector to open and closes it, and ends then, or when the process ends
 * (the pid's start time changes). It listens on nothing and signals nothing.
 *
 *   node late-inspector-closer.js <pid> <start time> <port> <ports before the signal>
 */
import { listeningSockets, processStartTime } from '../proc.js';
import { askInspector, closeInspector } from './inspector-endpoint.js';
import { setTimeout as sleep } from 'node:timers/promises';

async function watch(pid: number, startTime: string, port: number, before: Set<number>): Promise<void> {
  for (;;) {
    if ((await processStartTime(pid)) !== startTime) return;
    const sockets = await listeningSockets(pid).catch(() => []);
    const candidates = port === 0 ? sockets.filter((s) => !before.has(s.port)) : sockets.filter((s) => s.port === port);
    for (const socket of candidates) {
      const answer = await askInspector(socket, 1000);
      if (answer.kind === 'inspector' && (await closeInspector(answer.endpoint))) return;
    }
    await sleep(250);
  }
}

const [pidText, startTime, portText, beforeText] = process.argv.slice(2);
if (pidText !== undefined && startTime !== undefined && portText !== undefined) {
  const before = new Set((beforeText ?? '').split(',').filter(Boolean).map(Number));
  watch(Number(pidText), startTime, Number(portText), before).then(
    () => process.exit(0),
    () => process.exit(0),
  );
}
