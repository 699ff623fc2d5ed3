/**
 * What check says on stderr besides its formats: the verdict in one line
 * when every format went to a file (the job's log still shows it), and a
 * warning when too few snapshots back the verdict.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './helpers/cli.js';
import { dumpsDir } from './helpers/paths.js';
import { tempDir } from './helpers/tmp.js';

function twoSnapshots(): string {
  const dir = tempDir();
  // Raw dumps are dated by their files' times: copied in order, named in order.
  copyFileSync(join(dumpsDir, 'go1.26.8-debug2.txt'), join(dir, 'snapshot-1.txt'));
  copyFileSync(join(dumpsDir, 'go1.26.8-debug2-after-75s.txt'), join(dir, 'snapshot-2.txt'));
  return dir;
}

test('every format to a file: the verdict still shows in one line on stderr', async () => {
  const series = twoSnapshots();
  const sarif = join(tempDir(), 'leaks.sarif');
  const result = await runCli(['check', series, '--format', `sarif=${sarif}`]);
  assert.equal(result.stdout, '');
  assert.match(
    result.stderr,
    new RegExp(
      `^leakscan check: (passed \\(fail score 70; details in ${sarif.replace(/[.]/g, '\\.')}\\)|\\d+ leaks? failed the check \\(details in .*\\))$`,
      'm',
    ),
  );
  assert.ok(existsSync(sarif));
});

test('a verdict from fewer than 4 snapshots comes with a warning; one on stdout does not repeat on stderr', async () => {
  const result = await runCli(['check', twoSnapshots()]);
  assert.match(result.stderr, /^leakscan check: warning: a verdict from 2 snapshots sees little growth; take 4 or more \(the default is 12\)$/m);
  assert.match(result.stdout, /leakscan check: (passed|\d+ leaks? failed)/);
  assert.doesNotMatch(result.stderr, /leakscan check: (passed|\d+ leaks? failed)/);
});
