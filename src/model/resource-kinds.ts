/**
 * How a task's kind reads in a report. Node's async_hooks names resources
 * by their native wrapper ("TCPWRAP", "PROMISE"); a user knows them as a TCP
 * socket or a Promise. One table for the Node target (which labels tasks
 * with it) and the reports (which say what each site holds).
 */
const KIND_WORDS: Record<string, string> = {
  PROMISE: 'Promise',
  Timeout: 'Timeout',
  Immediate: 'Immediate',
  TCPWRAP: 'TCP socket',
  TCPSERVERWRAP: 'TCP server',
  TCPCONNECTWRAP: 'TCP connect request',
  PIPEWRAP: 'pipe',
  PIPESERVERWRAP: 'pipe server',
  GETADDRINFOREQWRAP: 'DNS lookup',
  HTTPCLIENTREQUEST: 'HTTP client request',
  HTTPINCOMINGMESSAGE: 'HTTP request being served',
  FSREQCALLBACK: 'file system request',
  listener: 'listener',
};

/** Plurals that are not the word and an s. */
const KIND_PLURALS: Record<string, string> = {
  HTTPINCOMINGMESSAGE: 'HTTP requests being served',
};

export function kindInWords(kind: string): string {
  return KIND_WORDS[kind] ?? kind;
}

/**
 * "3 Timeouts", "1 Promise", "600 listeners". A kind without words of its
 * own (a native wrapper's name, "ZLIB") stays as the runtime names it.
 */
export function kindCountInWords(kind: string, count: number): string {
  const one = kindInWords(kind);
  if (count === 1 || KIND_WORDS[kind] === undefined) return one;
  return KIND_PLURALS[kind] ?? `${one}s`;
}
