// Workload for bench/node-overhead: an HTTP server answering a small JSON
// body to 16 keep-alive clients in the same process. Prints {"ops": N, "ms": M, "agent": {...}}.
import http from 'node:http';
import { agentReport } from './agent-report.mjs';

const duration = Number(process.env.BENCH_MS ?? 3000);
const server = http.createServer((req, res) => {
  const body = JSON.stringify({ ok: true, path: req.url, at: Date.now() });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function get() {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/items?page=1', agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
      .on('error', reject);
  });
}

let ops = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (performance.now() - started < duration) {
      await get();
      ops++;
    }
  }),
);
const ms = performance.now() - started;
agent.destroy();
server.close();
console.log(JSON.stringify({ ops, ms, agent: agentReport() }));
