/** Snapshot files: written atomically, read back identically, gzip by name. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeSnapshotFile } from '../src/model/file.js';
import { loadSnapshotFile } from '../src/formats/load.js';
import { tempDir } from './helpers/tmp.js';
import { dumpsDir } from './helpers/paths.js';

const dir = tempDir();

test('a snapshot survives a write and a read, plain and gzipped', async () => {
  const original = await loadSnapshotFile(join(dumpsDir, 'go1.26.8-debug2.txt'));
  for (const name of ['s.json', 's.json.gz']) {
    const path = join(dir, name);
    await writeSnapshotFile(path, original);
    const bytes = readFileSync(path);
    assert.equal(bytes[0] === 0x1f && bytes[1] === 0x8b, name.endsWith('.gz'), `${name} gzip iff .gz`);
    const reread = await loadSnapshotFile(path);
    assert.deepEqual({ ...reread, source: {} }, { ...original, source: {} });
  }
  assert.deepEqual(readdirSync(dir).sort(), ['s.json', 's.json.gz'], 'no temporary files left');
});

test('frames and stacks are interned: repeated stacks are stored once', async () => {
  const snapshot = await loadSnapshotFile(join(dumpsDir, 'go1.26.8-debug2.txt'));
  const stackKeys = snapshot.stacks.map((s) => s.join(','));
  assert.equal(new Set(stackKeys).size, stackKeys.length);
  const frameKeys = snapshot.frames.map((f) => `${f.fn} ${f.file}:${f.line}`);
  assert.equal(new Set(frameKeys).size, frameKeys.length);
  // The capture parks two workers of one pool at the same line: one stack for both.
  assert.ok(new Set(snapshot.tasks.map((t) => t.stack)).size < snapshot.tasks.length, 'goroutines share stacks');
});
