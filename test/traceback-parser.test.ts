/**
 * The debug=2 / traceback parser on real dumps: the result must not depend
 * on how the input is cut into chunks, and a cut dump must be reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SnapshotBuilder } from '../src/model/builder.js';
import { TracebackParser, GO_DUMP_LIMIT_BYTES } from '../src/formats/go/traceback.js';
import { parseHeader, parseLabelBlock } from '../src/formats/go/header.js';
import { dumpsDir } from './helpers/paths.js';
import type { Snapshot } from '../src/model/format.js';
// Labels are null-prototype dictionaries: their keys are the target's (model/dictionary.ts).
import { copyDictionary as labels } from '../src/model/dictionary.js';

const dump = readFileSync(join(dumpsDir, 'go1.26.8-debug2.txt'));
const headerCount = (text: string) => text.split('\n').filter((l) => /^goroutine \d+ /.test(l)).length;

function parse(chunks: Buffer[]): { snapshot: Snapshot; truncated: boolean } {
  const builder = new SnapshotBuilder('go');
  const parser = new TracebackParser(builder);
  for (const chunk of chunks) parser.push(chunk);
  const { truncated } = parser.end();
  return { snapshot: builder.build(0), truncated };
}

function chunked(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

/** Tasks with their stacks resolved, for comparing two parses. */
function resolved(snapshot: Snapshot) {
  const stack = (i: number | undefined) => (i === undefined ? undefined : snapshot.stacks[i]!.map((f) => snapshot.frames[f]));
  return snapshot.tasks.map((t) => ({ ...t, stack: stack(t.stack), createdBy: stack(t.createdBy) }));
}

test('every goroutine of a real dump is read, whatever the chunk size', () => {
  const whole = parse([dump]);
  assert.equal(whole.truncated, false);
  assert.equal(whole.snapshot.tasks.length, headerCount(dump.toString('utf8')));
  const expected = resolved(whole.snapshot);
  for (const size of [1, 7, 64, 4096]) {
    assert.deepEqual(resolved(parse(chunked(dump, size)).snapshot), expected, `chunk size ${size}`);
  }
});

test('CRLF line endings (a dump saved on Windows) read the same', () => {
  const crlf = Buffer.from(dump.toString('utf8').replace(/\n/g, '\r\n'));
  assert.deepEqual(resolved(parse([crlf]).snapshot), resolved(parse([dump]).snapshot));
});

test('a dump cut mid-goroutine drops the incomplete goroutine and says so', () => {
  const text = dump.toString('utf8');
  const total = headerCount(text);
  // Cut in the middle of the last goroutine's function line.
  const lastHeader = text.lastIndexOf('\ngoroutine ');
  const cut = text.indexOf('\n', lastHeader + 1) + 6;
  const { snapshot, truncated } = parse([Buffer.from(text.slice(0, cut))]);
  assert.equal(truncated, true);
  assert.equal(snapshot.tasks.length, total - 1);
  assert.match(snapshot.warnings![0]!, new RegExp(`ends mid-goroutine: ${total - 1} complete goroutines`));
});

test('a dump of exactly 64 MiB is reported as cut by the Go runtime', () => {
  // Repeat real goroutine blocks until exactly the runtime's limit, as
  // runtime/pprof.writeGoroutineStacks leaves it: cut wherever 64 MiB ends.
  const text = dump.toString('utf8');
  const firstBlock = text.indexOf('goroutine ');
  const body = Buffer.from(text.slice(firstBlock).replace(/\n*$/, '\n\n'));
  const big = Buffer.alloc(GO_DUMP_LIMIT_BYTES);
  for (let at = 0; at < big.length; at += body.length) body.copy(big, at);
  const { snapshot, truncated } = parse(chunked(big, 1 << 20));
  assert.equal(truncated, true);
  assert.match(snapshot.warnings![0]!, /truncated at 64 MiB by the Go runtime/);
  assert.ok(snapshot.tasks.length > 1000);
});

test('headers: every field the runtime prints', () => {
  assert.deepEqual(parseHeader('goroutine 7 [chan receive, 12 minutes, locked to thread, synctest bubble 3] {a: b}:'), {
    id: '7',
    state: 'chan receive',
    waitMinutes: 12,
    lockedToThread: true,
    bubble: '3',
    labels: labels({ a: 'b' }),
  });
  const crash = parseHeader('goroutine 1 gp=0xc000002380 m=0 mp=0x5c4ee0 [running]:');
  assert.equal(crash?.id, '1');
  assert.equal(crash?.state, 'running');
  const leaked = parseHeader('goroutine 42 [chan send (leaked) (scan)]:');
  assert.equal(leaked?.state, 'chan send');
  assert.equal(leaked?.leaked, true);
  assert.equal(parseHeader('goroutine 9 [chan receive (durable), synctest bubble 1]:')?.state, 'chan receive (durable)');
  assert.equal(parseHeader('goroutine profile: total 5'), null);
  assert.equal(parseHeader('goroutine 5 is not a header'), null);
});

test('labels in headers: Go 1.26 inside the brackets, Go 1.27 after them', () => {
  const go126 = parseHeader('goroutine 49 [chan send, 3 minutes labels:{"handler": "quote", "tenant": "a]b"}]:');
  assert.equal(go126?.state, 'chan send');
  assert.equal(go126?.waitMinutes, 3);
  assert.deepEqual(go126?.labels, labels({ handler: 'quote', tenant: 'a]b' }));
  const go127 = parseHeader('goroutine 49 [chan send] {handler: quote, "the key": "a, \\"b\\""}:');
  assert.deepEqual(go127?.labels, labels({ handler: 'quote', 'the key': 'a, "b"' }));
});

test('label blocks: quoted only when needed, Go escapes decoded, malformed refused', () => {
  assert.deepEqual(parseLabelBlock('{handler: checkout, tenant: acme}', 0), { labels: labels({ handler: 'checkout', tenant: 'acme' }), end: 32 });
  assert.deepEqual(parseLabelBlock('{"k": "tab\\there", e: ""}', 0)?.labels, labels({ k: 'tab\there', e: '' }));
  assert.equal(parseLabelBlock('{broken', 0), null);
  assert.equal(parseLabelBlock('{a: b c}', 0), null);
});

test('a goroutine reads the same after near-miss goroutines as on its own', () => {
  // The parser predicts each frame from the frames that followed the previous
  // one earlier in the dump. Goroutines that differ from an earlier one by a
  // byte in a name, a location, the arguments or the creator must come out as
  // they do when nothing was predicted.
  const text = dump.toString('utf8');
  const block = text.split('\n\n').find((b) => /\ncreated by .* in goroutine \d+\n/.test(b) && b.split('\n').length >= 9)!;
  const lines = block.split('\n');
  const fnLine = lines.findIndex((l, i) => i > 0 && !l.startsWith('\t') && l.endsWith(')'));
  const locLine = fnLine + 1;
  const creatorLine = lines.findIndex((l) => l.startsWith('created by '));
  const edit = (index: number, change: (line: string) => string) => lines.map((l, i) => (i === index ? change(l) : l)).join('\n');
  const variants = [
    block,
    edit(fnLine, (l) => l.replace('(', 'X(')), // a longer name
    edit(fnLine, (l) => l.replace(/\)$/, ', (0x1))')), // an opening parenthesis in the arguments
    edit(fnLine, (l) => `${l}()`), // the name is everything before the last one
    edit(fnLine, (l) => `${l}\r`),
    edit(locLine, (l) => l.replace(/:(\d+)/, ':$14')), // one more digit in the line number
    edit(locLine, (l) => l.replace(/:(\d+)/, (_, n) => `:${Number(n) + 1}`)),
    edit(locLine, (l) => `${l}:7`), // a colon after the line number
    edit(locLine, (l) => l.replace('.go', '.og')),
    edit(creatorLine, (l) => l.replace(/in goroutine \d+/, 'in goroutine 98765')),
    edit(creatorLine, (l) => l.replace(' in goroutine', 'X in goroutine')),
    edit(creatorLine, (l) => l.replace(/ in goroutine \d+/, '')), // Go before 1.21
    edit(creatorLine, (l) => `${l}\r`),
    edit(creatorLine + 1, (l) => l.replace(/:(\d+)/, ':$10')),
  ];
  const alone = (variant: string) => resolved(parse([Buffer.from(`${variant}\n\n`)]).snapshot)[0];
  for (const [i, variant] of variants.entries()) {
    for (const before of variants) {
      const both = parse([Buffer.from(`${before}\n\n${variant}\n\n`)]).snapshot;
      assert.deepEqual(resolved(both)[1], alone(variant), `variant ${i}`);
    }
  }
});
