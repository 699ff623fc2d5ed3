/**
 * Where `leakscan watch` serves /metrics. Loopback only unless the user
 * says otherwise: the gauges name code sites of the watched program, which
 * is not for anyone who can reach the host. A sidecar scraped over the pod
 * network opts in with --allow-remote-listen.
 */
import { isIP } from 'node:net';
import { InputError } from '../util/errors.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export function parseListen(text: string, allowRemote: boolean): ListenAddress {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!match) throw new InputError(`--listen expects host:port (e.g. 127.0.0.1:9465): ${text}`);
  const host = match[1] ?? match[2]!;
  const port = Number(match[3]);
  if (port > 65_535) throw new InputError(`--listen: port ${port} is out of range`);
  if (host !== 'localhost' && isIP(host) === 0) throw new InputError(`--listen takes an IP address (or localhost), not a host name: ${host}`);
  if (!isLoopback(host) && !allowRemote) {
    throw new InputError(
      `--listen ${text} is not a loopback address: the metrics name your code sites; add --allow-remote-listen to serve them beyond this host`,
    );
  }
  return { host: host === 'localhost' ? '127.0.0.1' : host, port };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
