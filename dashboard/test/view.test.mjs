// Unit tests of the dashboard's view logic (node's test runner: `node --test test/`). The phase
// cases mirror the task registry's `phase` (pallets/task-registry/src/impls.rs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as v from '../src/view.js';

const APPEAL = 20;
// The demo's task: created at 5, windows 21 / 29 / 37 / 45 / 53, appeal until 73.
function task(over = {}) {
  return {
    status: 'Active',
    createdAt: 5,
    revealed: 2,
    testSet: { uri: 'http://x/t', hash: '0x00' },
    appeal: null,
    windows: { submissionEnd: 21, revealEnd: 29, testRevealEnd: 37, scoreCommitEnd: 45, evaluationEnd: 53 },
    ...over,
  };
}

test('the phase follows the windows block by block, each window inclusive of its last block', () => {
  const t = task();
  const at = (n) => v.phaseAt(t, n, APPEAL);
  assert.deepEqual(at(5), { phase: 'Open', endsAt: 21 });
  assert.deepEqual(at(21), { phase: 'Open', endsAt: 21 });
  assert.deepEqual(at(22), { phase: 'Reveal', endsAt: 29 });
  assert.deepEqual(at(30), { phase: 'TestReveal', endsAt: 37 });
  assert.deepEqual(at(38), { phase: 'ScoreCommit', endsAt: 45 });
  assert.deepEqual(at(46), { phase: 'ScoreReveal', endsAt: 53 });
  assert.deepEqual(at(54), { phase: 'Appeal', endsAt: 73 });
  assert.deepEqual(at(73), { phase: 'Appeal', endsAt: 73 });
  assert.deepEqual(at(74), { phase: 'Finalizable', endsAt: null });
});

test('a task ends early when nobody revealed, or the sponsor kept the test set', () => {
  assert.equal(v.phaseAt(task({ revealed: 0 }), 29, APPEAL).phase, 'Reveal');
  assert.equal(v.phaseAt(task({ revealed: 0 }), 30, APPEAL).phase, 'Finalizable');
  // Without a revealed test set the phase stays TestReveal to its end, then the task is due.
  assert.equal(v.phaseAt(task({ testSet: null }), 37, APPEAL).phase, 'TestReveal');
  assert.equal(v.phaseAt(task({ testSet: null }), 38, APPEAL).phase, 'Finalizable');
});

test('an appealed task runs the appeal round after the appeal window', () => {
  const t = task({ appeal: { drawn: true } });
  // Appeal round: commit for as long as the first (37..45: 8 blocks), reveal 8.
  assert.deepEqual(v.appealBlocks(t.windows, APPEAL), { appealEnd: 73, commitEnd: 81, revealEnd: 89 });
  assert.deepEqual(v.phaseAt(t, 74, APPEAL), { phase: 'AppealScoreCommit', endsAt: 81 });
  assert.deepEqual(v.phaseAt(t, 82, APPEAL), { phase: 'AppealScoreReveal', endsAt: 89 });
  assert.equal(v.phaseAt(t, 90, APPEAL).phase, 'Finalizable');
  // An appeal not drawn (yet) is due after the appeal window, like no appeal.
  assert.equal(v.phaseAt(task({ appeal: { drawn: false } }), 74, APPEAL).phase, 'Finalizable');
});

test('an ended task is Ended whatever the block', () => {
  for (const status of ['Finalized', 'Cancelled', { Failed: 'NoAgreement' }]) {
    assert.deepEqual(v.phaseAt(task({ status }), 22, APPEAL), { phase: 'Ended', endsAt: null });
  }
  assert.equal(v.statusText({ Failed: 'NoAgreement' }), 'Failed: NoAgreement');
  assert.equal(v.statusText('Finalized'), 'Finalized');
});

test('the timeline marks past, current and future phases', () => {
  const rows = v.timeline(task(), 40, APPEAL);
  assert.deepEqual(rows.map((r) => [r.phase, r.from, r.to, r.state]), [
    ['Open', 5, 21, 'past'],
    ['Reveal', 22, 29, 'past'],
    ['TestReveal', 30, 37, 'past'],
    ['ScoreCommit', 38, 45, 'current'],
    ['ScoreReveal', 46, 53, 'future'],
    ['Appeal', 54, 73, 'future'],
  ]);
  assert.ok(v.timeline(task({ status: 'Finalized' }), 100, APPEAL).every((r) => r.state === 'past'));
  assert.equal(v.timeline(task({ appeal: { drawn: true } }), 40, APPEAL).length, 8);
});

test('countdowns count the blocks a transaction can still land in', () => {
  assert.equal(v.blocksLeft(21, 10), 11);
  assert.equal(v.blocksLeft(21, 30), 0);
  assert.equal(v.countdown(21, 10, 6000), '11 blocks (~1 min)');
  assert.equal(v.countdown(21, 20, 1000), '1 block (~1 s)');
  assert.equal(v.countdown(21, 21, 6000), 'last block');
  assert.equal(v.countdown(null, 21, 6000), '-');
  assert.equal(v.formatDuration(45_000), '~45 s');
  assert.equal(v.formatDuration(125 * 60_000), '~2 h 5 min');
  assert.equal(v.formatDuration(76 * 3_600_000), '~3 d 4 h');
});

test('amounts are exact to the smallest unit, grouped by thousands', () => {
  assert.equal(v.formatAmount(100_000_000_000_000n, 12, 'POUW'), '100 POUW');
  assert.equal(v.formatAmount(4_995_400_000_000n, 12, 'POUW'), '4.9954 POUW');
  assert.equal(v.formatAmount(1_152_921_504_606_846_976n, 12), '1,152,921.504606846976');
  assert.equal(v.formatAmount(1n, 12), '0.000000000001');
  assert.equal(v.formatAmount(-7_000_000_000n, 12), '-0.007');
  assert.equal(v.formatAmount(0n, 0, 'X'), '0 X');
  // A u128 beyond a double's 2^53 keeps every digit.
  assert.equal(v.formatAmount(2n ** 127n, 0), '170,141,183,460,469,231,731,687,303,715,884,105,728');
});

test('amounts parse exactly and bad ones get a named error', () => {
  assert.equal(v.parseAmount('100', 12), 100_000_000_000_000n);
  assert.equal(v.parseAmount('0.1', 12), 100_000_000_000n);
  assert.equal(v.parseAmount('1,000.000000000001', 12), 1_000_000_000_000_001n);
  for (const bad of ['', '-1', '1e3', '0x10', '1.0000000000001', '1.2.3', 'abc']) {
    assert.throws(() => v.parseAmount(bad, 12), (e) => e.name === 'BadAmount', bad);
  }
});

test('scores print as pouw status prints them, and parse back', () => {
  assert.equal(v.formatScore(944_290_000n, 'Accuracy'), '94.4290 %');
  assert.equal(v.formatScore(944_289_500n, 'Accuracy'), '94.4290 %'); // half up
  assert.equal(v.formatScore(1_000_000_000n, 'Accuracy'), '100.0000 %');
  assert.equal(v.formatScore(0n, 'Accuracy'), '0.0000 %');
  assert.equal(v.formatScore(123_456_789n, 'MeanSquaredError'), '0.123457');
  assert.equal(v.formatScore(53_000_000_000_000_000n, 'MeanSquaredError'), '53000000.000000');
  assert.equal(v.formatScore(null, 'Accuracy'), 'invalid');
  assert.equal(v.parseScore('90 %', 'Accuracy'), 900_000_000n);
  assert.equal(v.parseScore('94.429', 'Accuracy'), 944_290_000n);
  assert.equal(v.parseScore('0.25', 'CrossEntropy'), 250_000_000n);
  assert.throws(() => v.parseScore('101', 'Accuracy'), (e) => e.name === 'BadScore');
  assert.throws(() => v.parseScore('-1', 'CrossEntropy'), (e) => e.name === 'BadScore');
});

test('reputation is a Permill shown in percent; decay steps at period boundaries', () => {
  assert.equal(v.formatPermill(500_000), '50.00 %');
  assert.equal(v.formatPermill(505_000), '50.50 %');
  assert.equal(v.formatPermill(1_000_000), '100.00 %');
  assert.equal(v.nextDecayAt(100, 14_400), 14_400);
  assert.equal(v.nextDecayAt(14_400, 14_400), 28_800);
  assert.equal(v.nextDecayAt(5, 0), null);
});

test('model specs print in the CLI syntax and in words, and parse back', () => {
  const mlp = { Mlp: { inputs: 64, hidden: [64, 32], outputs: 10, activation: 'Relu' } };
  assert.equal(v.modelText(mlp), 'mlp:64,32:relu');
  assert.equal(v.modelWords(mlp), 'a multi-layer perceptron 64 → 64 → 32 → 10 with relu');
  assert.deepEqual(v.parseModel('mlp:64,32:relu', 64, 10), mlp);
  const cnn = v.parseModel('cnn:1x28x28:16k3p2,32k3p2:relu', 784, 10);
  assert.deepEqual(cnn.Cnn.conv, [
    { outChannels: 16, kernel: 3, pool: 2 },
    { outChannels: 32, kernel: 3, pool: 2 },
  ]);
  assert.equal(v.modelText(cnn), 'cnn:1x28x28:16k3p2,32k3p2:relu');
  const dense = v.parseModel('cnn:1x28x28:16k3p2,32k3p2:128:relu', 784, 10);
  assert.deepEqual(dense.Cnn.hidden, [128]);
  assert.equal(v.modelText(dense), 'cnn:1x28x28:16k3p2,32k3p2:128:relu');
  assert.match(v.modelWords(dense), /dense 128; relu; 10 outputs/);
  assert.deepEqual(v.parseModel('linear', 8, 1), { Linear: { inputs: 8, outputs: 1 } });
  for (const bad of ['cnn:1x28x28:16k3p2:x:relu', 'mlp:64:softmax', 'cnn:1x28x27:16k3p2:relu', 'cnn:1x28x28:16k3:relu', 'transformer', 'mlp:a:relu']) {
    assert.throws(() => v.parseModel(bad, 784, 10), (e) => e.name === 'BadModel', bad);
  }
});

test('new windows start two blocks after the best, as pouw sponsor create sets them', () => {
  assert.deepEqual(v.windowsFrom(100, [30, 10, 10, 10, 10]), {
    submissionEnd: 132,
    revealEnd: 142,
    testRevealEnd: 152,
    scoreCommitEnd: 162,
    evaluationEnd: 172,
  });
  assert.throws(() => v.windowsFrom(100, [30, 0, 10, 10, 10]), (e) => e.name === 'BadWindows');
  assert.throws(() => v.windowsFrom(100, [30, 10]), (e) => e.name === 'BadWindows');
});

test('the payout split is in shares of the bounty', () => {
  const parts = v.split(100n, [['winner', 80n], ['evaluators', 15n], ['treasury', 5n]]);
  assert.deepEqual(parts.map((p) => p.percent), ['80.00 %', '15.00 %', '5.00 %']);
  assert.equal(v.split(3n, [['a', 1n]])[0].percent, '33.33 %');
});

test('seats and eligibility of evaluators', () => {
  assert.deepEqual(v.seats(25n, 10n, 1), { total: 2, used: 1, free: 1 });
  assert.deepEqual(v.seats(10n, 10n, 1), { total: 1, used: 1, free: 0 });
  const ok = { status: 'Active', reputation: 500_000, seats: { free: 1 } };
  assert.equal(v.eligibility(ok, 500_000).eligible, true);
  assert.match(v.eligibility({ ...ok, reputation: 499_999 }, 500_000).why, /reputation below 50.00 %/);
  assert.equal(v.eligibility({ ...ok, seats: { free: 0 } }, 500_000).why, 'every seat taken');
  assert.equal(v.eligibility({ ...ok, status: 'Leaving' }, 500_000).why, 'leaving the pool');
});

test('text from the chain cannot inject markup or script links', () => {
  assert.equal(v.escapeHtml('<img src=x onerror=alert(1)>"\''), '&lt;img src=x onerror=alert(1)&gt;&quot;&#39;');
  assert.equal(v.safeHref('javascript:alert(1)'), null);
  assert.equal(v.safeHref('JaVaScRiPt:alert(1)'), null);
  assert.equal(v.safeHref('http://a/b" onmouseover="x'), null);
  assert.equal(v.safeHref('file:///etc/passwd'), null);
  assert.equal(v.safeHref('https://host/blob/abc'), 'https://host/blob/abc');
});

test('medians chart: widths relative to the best, invalid models at zero', () => {
  const bars = v.chartBars([{ index: 0, median: 412_256_000n }, { index: 1, median: 944_290_000n }, { index: 2, median: null }], 'Accuracy');
  assert.deepEqual(bars.map((b) => b.width), [0.436, 1, 0]);
  assert.equal(bars[2].label, 'invalid');
  assert.deepEqual(v.chartBars([], 'Accuracy'), []);
});

test('shortened labels keep both ends', () => {
  assert.equal(v.shortHex('0x' + 'ab'.repeat(32)), '0xabab…abab');
  assert.equal(v.accountLabel('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY'), '5Grw…utQY');
  assert.equal(v.accountLabel('5Grw', { '5Grw': '//Alice' }), '//Alice');
  assert.equal(v.shortUri('http://127.0.0.1:43549/blob/d797a3105cc76a1eef220ac3ee180cb5c3b8e72d23491e3c0433015b0180455a'), 'http://127.0.0.1:43549/blob/d797a3…015b0180455a');
  assert.equal(v.shortUri('http://short/x'), 'http://short/x');
});
