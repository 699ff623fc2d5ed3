/** What the terminal shows: the sampling plan with its duration, and explanations wrapped to the width. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wrapText } from '../../src/report/format.js';
import { samplingPlan } from '../../src/session/sampling-progress.js';

test('the sampling plan says how long it takes, as Go writes durations', () => {
  assert.equal(samplingPlan(12, 5), '12 snapshots, 5s apart: about 55s');
  assert.equal(samplingPlan(61, 60), '61 snapshots, 1m apart: about 1h');
  assert.equal(samplingPlan(4, 0.5), '4 snapshots, 500ms apart: about 2s');
  assert.equal(samplingPlan(1, 5), '1 snapshot, 5s apart');
});

test('explanations wrap at spaces to the width, every line indented', () => {
  const text = '+1203/min over 6 snapshots (0 → 200), rising at every step; 100% survive the window; all blocked on select';
  const wrapped = wrapText(text, '      ', 50);
  for (const line of wrapped.split('\n')) {
    assert.ok(line.length <= 50, `fits: ${line}`);
    assert.ok(line.startsWith('      ') && !line.startsWith('       '), `indented once: ${line}`);
  }
  assert.equal(
    wrapped
      .split('\n')
      .map((l) => l.trim())
      .join(' '),
    text,
    'no word lost or split',
  );
});

test('no width (a pipe) or a width too narrow to help: one line', () => {
  const text = 'a b c '.repeat(30).trim();
  assert.equal(wrapText(text, '  ', undefined), `  ${text}`);
  assert.equal(wrapText(text, '  ', 20), `  ${text}`);
});
