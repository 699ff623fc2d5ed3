// Runs every compiled test file under dist/test with Node's test runner.
// (Node 20's --test takes files, not globs, so they are listed here.)
//   node test/run.js                 everything: unit tests and the tests that start processes
//   node test/run.js --unit          only test/unit/: no processes, a few seconds
//   node test/run.js name ...        files whose path contains one of the names
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../dist/test/', import.meta.url).pathname;
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const only = args.filter((a) => a !== '--unit');
const files = readdirSync(root, { recursive: true })
  .filter((f) => f.endsWith('.test.js'))
  .filter((f) => !unitOnly || f.startsWith(`unit/`))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()
  .map((f) => join(root, f));
if (files.length === 0) {
  // node --test with no files would run whatever it finds under the current directory.
  console.error(`no test file matches ${args.join(' ')}`);
  process.exit(2);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
