// Rewrites test/golden/*.json from the parsers' current output on the
// captured dumps (fixtures/dumps/). Run after an intended parser change,
// then read the diff: every changed line is a site the parser now reads
// differently. Needs a build first (npm run golden:update does both).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const { capturedDumps, goldenDir, goldenFile, goldenOf, goldenText } = await import(new URL('../dist/test/helpers/golden.js', import.meta.url).href);

mkdirSync(goldenDir, { recursive: true });
const wanted = new Set();
for (const dump of capturedDumps()) {
  const file = goldenFile(dump);
  wanted.add(file);
  writeFileSync(file, goldenText(await goldenOf(dump)));
}
for (const name of readdirSync(goldenDir)) {
  const file = join(goldenDir, name);
  if (!wanted.has(file)) rmSync(file);
}
console.log(`wrote ${wanted.size} golden files to ${goldenDir}`);
