/**
 * Go users type durations and pprof addresses the way Go tools take them;
 * scripts pass plain seconds. Both must mean what they say.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from 'commander';
import { formatDuration, parseDurationSeconds } from '../../src/util/duration.js';
import { positiveNumber, positiveSeconds } from '../../src/cli/options.js';
import { pprofBase } from '../../src/targets/go/pprof-client.js';

test('durations read as Go writes them, and plain numbers as seconds', () => {
  const cases: [string, number][] = [
    ['5', 5],
    ['0.5', 0.5],
    ['5s', 5],
    ['500ms', 0.5],
    ['1m30s', 90],
    ['1.5h', 5400],
    ['2h45m', 9900],
    ['250us', 0.00025],
    ['250µs', 0.00025],
    ['1m0.5s', 60.5],
  ];
  for (const [text, seconds] of cases) assert.equal(parseDurationSeconds(text), seconds, text);
});

test('what is not a duration is refused as a usage error, not read as something else', () => {
  for (const text of ['', 's', '5x', '1m30', '-5s', '5 s', '1e3', 'Infinity', '0x10', '5s5']) {
    assert.throws(() => positiveSeconds(text), InvalidArgumentError, text);
  }
  assert.throws(() => positiveSeconds('0s'), InvalidArgumentError, 'a zero interval is refused');
});

test('rates and ratios are plain numbers, not durations', () => {
  assert.equal(positiveNumber('2.5'), 2.5);
  assert.throws(() => positiveNumber('5s'), InvalidArgumentError);
  assert.throws(() => positiveNumber(''), InvalidArgumentError);
});

test('durations print as Go prints them', () => {
  assert.equal(formatDuration(0.5), '500ms');
  assert.equal(formatDuration(5), '5s');
  assert.equal(formatDuration(90), '1m30s');
  assert.equal(formatDuration(3600), '1h');
  assert.equal(formatDuration(3660), '1h1m');
  assert.equal(formatDuration(55), '55s');
});

test('pprof addresses as go tool pprof takes them', () => {
  assert.equal(pprofBase(':6060').href, 'http://localhost:6060/debug/pprof/');
  assert.equal(pprofBase('localhost:6060').href, 'http://localhost:6060/debug/pprof/');
  assert.equal(pprofBase('127.0.0.1:6060/debug/pprof/').href, 'http://127.0.0.1:6060/debug/pprof/');
  assert.equal(pprofBase('http://127.0.0.1:6060/api/debug/pprof/goroutine?debug=2').href, 'http://127.0.0.1:6060/api/debug/pprof/');
});
