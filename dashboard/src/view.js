// The dashboard's view logic: pure functions of plain values (no network, no DOM), so that
// node's test runner checks them (test/view.test.mjs). Block numbers are numbers; balances and
// scores are bigints (a u128 balance does not fit a double).

/** Score units per metric unit: `pouw_primitives::Score` is fixed point with 10^9. */
export const SCORE_SCALE = 1_000_000_000n;

/** Permill: reputation is a share in millionths. */
export const PERMILL = 1_000_000;

/** The phases of an active task, in order, with what happens in each (`Phase` in the pallet). */
export const PHASES = {
  Open: 'workers commit models',
  Reveal: 'workers reveal models',
  TestReveal: 'the sponsor reveals the test set',
  ScoreCommit: 'drawn evaluators commit scores',
  ScoreReveal: 'drawn evaluators reveal scores',
  Appeal: 'anyone may appeal the finding',
  AppealScoreCommit: 'the appeal quorum commits scores',
  AppealScoreReveal: 'the appeal quorum reveals scores',
  Finalizable: 'due: anyone may finalize (the chain will)',
  Ended: 'ended',
};

/**
 * The appeal round's blocks of a task with windows `w`, as the pallet computes them
 * (`appeal_end`, `appeal_windows`): the appeal window ends `appealWindow` blocks after the
 * evaluation; an appeal round commits and reveals for as long as the first quorum could.
 */
export function appealBlocks(w, appealWindow) {
  const appealEnd = w.evaluationEnd + appealWindow;
  const commitEnd = appealEnd + (w.scoreCommitEnd - w.testRevealEnd);
  return { appealEnd, commitEnd, revealEnd: commitEnd + (w.evaluationEnd - w.scoreCommitEnd) };
}

/** Whether an active task is due at block `now` (the pallet's `is_due`). */
export function isDue(task, now, appealWindow) {
  const w = task.windows;
  const a = appealBlocks(w, appealWindow);
  const evaluated = task.appeal?.drawn ? now > a.revealEnd : now > a.appealEnd;
  return evaluated || (now > w.revealEnd && task.revealed === 0) || (now > w.testRevealEnd && !task.testSet);
}

/**
 * The phase of `task` at block `now` and the last block of that phase (`endsAt`, null when the
 * phase has no end of its own), exactly as the pallet's `phase` decides it.
 */
export function phaseAt(task, now, appealWindow) {
  if (task.status !== 'Active') return { phase: 'Ended', endsAt: null };
  const w = task.windows;
  const a = appealBlocks(w, appealWindow);
  if (isDue(task, now, appealWindow)) return { phase: 'Finalizable', endsAt: null };
  if (now > w.evaluationEnd) {
    if (task.appeal?.drawn) {
      return now <= a.commitEnd
        ? { phase: 'AppealScoreCommit', endsAt: a.commitEnd }
        : { phase: 'AppealScoreReveal', endsAt: a.revealEnd };
    }
    return { phase: 'Appeal', endsAt: a.appealEnd };
  }
  if (now <= w.submissionEnd) return { phase: 'Open', endsAt: w.submissionEnd };
  if (now <= w.revealEnd) return { phase: 'Reveal', endsAt: w.revealEnd };
  if (!task.testSet || now <= w.testRevealEnd) return { phase: 'TestReveal', endsAt: w.testRevealEnd };
  if (now <= w.scoreCommitEnd) return { phase: 'ScoreCommit', endsAt: w.scoreCommitEnd };
  return { phase: 'ScoreReveal', endsAt: w.evaluationEnd };
}

/**
 * The phase timeline of a task: one row per phase with its first and last block, and whether
 * it is past, current or to come at `now`.
 */
export function timeline(task, now, appealWindow) {
  const w = task.windows;
  const a = appealBlocks(w, appealWindow);
  const rows = [
    ['Open', task.createdAt, w.submissionEnd],
    ['Reveal', w.submissionEnd + 1, w.revealEnd],
    ['TestReveal', w.revealEnd + 1, w.testRevealEnd],
    ['ScoreCommit', w.testRevealEnd + 1, w.scoreCommitEnd],
    ['ScoreReveal', w.scoreCommitEnd + 1, w.evaluationEnd],
    ['Appeal', w.evaluationEnd + 1, a.appealEnd],
  ];
  if (task.appeal) {
    rows.push(['AppealScoreCommit', a.appealEnd + 1, a.commitEnd], ['AppealScoreReveal', a.commitEnd + 1, a.revealEnd]);
  }
  const current = phaseAt(task, now, appealWindow).phase;
  const index = rows.findIndex(([p]) => p === current);
  return rows.map(([phase, from, to], i) => ({
    phase,
    from,
    to,
    state: index === -1 ? (now > to ? 'past' : 'future') : i < index ? 'past' : i === index ? 'current' : 'future',
  }));
}

/** Blocks after `now` in which a transaction can still land in a phase ending at `endsAt`. */
export function blocksLeft(endsAt, now) {
  return endsAt === null ? null : Math.max(0, endsAt - now);
}

/** `ms` as an approximate duration a person reads: `~45 s`, `~3 min`, `~2 h 5 min`, `~3 d 4 h`. */
export function formatDuration(ms) {
  const s = Math.round(ms / 1000);
  if (s < 60) return `~${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `~${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return `~${h} h${min % 60 ? ` ${min % 60} min` : ''}`;
  const d = Math.floor(h / 24);
  return `~${d} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

/** The countdown to a phase's end: `12 blocks (~1 min)`, or `last block` / `-` (no end). */
export function countdown(endsAt, now, blockMs) {
  const left = blocksLeft(endsAt, now);
  if (left === null) return '-';
  if (left === 0) return 'last block';
  return `${left} block${left === 1 ? '' : 's'} (${formatDuration(left * blockMs)})`;
}

function groupThousands(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * An amount in the smallest unit (`planck`, a bigint) in whole tokens, exact: every decimal
 * that is not zero is kept (payouts are checked to the unit), thousands grouped.
 */
export function formatAmount(planck, decimals, symbol = '') {
  const negative = planck < 0n;
  const abs = negative ? -planck : planck;
  const base = 10n ** BigInt(decimals);
  const whole = groupThousands((abs / base).toString());
  const frac = decimals > 0 ? (abs % base).toString().padStart(decimals, '0').replace(/0+$/, '') : '';
  return `${negative ? '-' : ''}${whole}${frac ? `.${frac}` : ''}${symbol ? ` ${symbol}` : ''}`;
}

/** A named error of the form's input checks: `name` is what the page shows first. */
export class InputError extends Error {
  constructor(name, message) {
    super(`${name}: ${message}`);
    this.name = name;
  }
}

/** Parses whole tokens (`100`, `0.5`, `1,000.25`) into the smallest unit, exactly. */
export function parseAmount(text, decimals) {
  const t = String(text).trim().replace(/,/g, '');
  const m = /^(\d+)(?:\.(\d+))?$/.exec(t);
  if (!m) throw new InputError('BadAmount', `"${text}" is not an amount (digits, one optional decimal point)`);
  const frac = m[2] ?? '';
  if (frac.length > decimals) throw new InputError('BadAmount', `"${text}" has more than ${decimals} decimals`);
  return BigInt(m[1]) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, '0') || '0');
}

function fixed(value, scale, digits) {
  // value / scale (both non-negative bigints) rounded half up to `digits` decimals, as a string.
  const rounded = (value * 10n ** BigInt(digits) + scale / 2n) / scale;
  const s = rounded.toString().padStart(digits + 1, '0');
  return digits ? `${s.slice(0, -digits)}.${s.slice(-digits)}` : s;
}

/**
 * A score as `pouw status` prints it: accuracy in percent with 4 decimals, the losses with 6;
 * `null` (invalid by consensus) is `invalid`.
 */
export function formatScore(score, metric) {
  if (score === null || score === undefined) return 'invalid';
  const s = BigInt(score);
  return metric === 'Accuracy' ? `${fixed(s * 100n, SCORE_SCALE, 4)} %` : fixed(s, SCORE_SCALE, 6);
}

/** Parses a minimum score as a person writes it: accuracy in percent, the losses as decimals. */
export function parseScore(text, metric) {
  const t = String(text).trim().replace(/\s*%$/, '');
  const m = /^(\d+)(?:\.(\d+))?$/.exec(t);
  if (!m) throw new InputError('BadScore', `"${text}" is not a score`);
  const digits = metric === 'Accuracy' ? 7 : 9; // percent: two of the 9 decimals are before the point
  const frac = m[2] ?? '';
  if (frac.length > digits) throw new InputError('BadScore', `"${text}" has more than ${digits} decimals`);
  const units = BigInt(m[1]) * 10n ** BigInt(digits) + BigInt(frac.padEnd(digits, '0') || '0');
  if (metric === 'Accuracy' && units > SCORE_SCALE) throw new InputError('BadScore', 'accuracy is at most 100 %');
  return units;
}

/** A Permill (parts per million) as a percentage with two decimals: `50.50 %`. */
export function formatPermill(parts) {
  return `${fixed(BigInt(parts), 10_000n, 2)} %`;
}

/** The first block after `now` at which stored reputations decay another step (period boundaries). */
export function nextDecayAt(now, period) {
  return period > 0 ? (Math.floor(now / period) + 1) * period : null;
}

/** The model spec in the short syntax `pouw sponsor create --model` takes (spec_text.rs). */
export function modelText(model) {
  if (model.Linear) return 'linear';
  if (model.Mlp) return `mlp:${model.Mlp.hidden.join(',')}:${model.Mlp.activation.toLowerCase()}`;
  if (model.Cnn) {
    const c = model.Cnn;
    const conv = c.conv.map((l) => `${l.outChannels}k${l.kernel}p${l.pool}`).join(',');
    const dense = c.hidden?.length ? `${c.hidden.join(',')}:` : '';
    return `cnn:${c.channels}x${c.height}x${c.width}:${conv}:${dense}${c.activation.toLowerCase()}`;
  }
  return JSON.stringify(model);
}

/** The model in words, for the task page. */
export function modelWords(model) {
  if (model.Linear) return `a linear model, ${model.Linear.inputs} inputs to ${model.Linear.outputs} outputs`;
  if (model.Mlp) {
    const m = model.Mlp;
    return `a multi-layer perceptron ${[m.inputs, ...m.hidden, m.outputs].join(' → ')} with ${m.activation.toLowerCase()}`;
  }
  if (model.Cnn) {
    const c = model.Cnn;
    const layers = c.conv.map((l) => `${l.outChannels} channels ${l.kernel}x${l.kernel}${l.pool > 1 ? `, pool ${l.pool}` : ''}`);
    const dense = c.hidden?.length ? `; dense ${c.hidden.join(' → ')}` : '';
    return `a CNN on ${c.channels}x${c.height}x${c.width} images: ${layers.join('; ')}${dense}; ${c.activation.toLowerCase()}; ${c.outputs} outputs`;
  }
  return JSON.stringify(model);
}

/** The status of a task in words: `Active`, `Finalized`, `Failed: NoAgreement`. */
export function statusText(status) {
  return typeof status === 'string' ? status : `Failed: ${status.Failed}`;
}

/** Whether a task is in the list's `filter`: `all`, `active` or `ended`. */
export function matchesFilter(task, filter) {
  if (filter === 'active') return task.status === 'Active';
  if (filter === 'ended') return task.status !== 'Active';
  return true;
}

/**
 * Bars for a small chart of the medians (the chain's `Medians`): each submission's width in
 * [0, 1] of the largest median, `0` for an invalid model or one not yet scored.
 */
export function chartBars(submissions, metric) {
  const values = submissions.map((s) => (s.median === null || s.median === undefined ? null : BigInt(s.median)));
  const valid = values.filter((v) => v !== null);
  if (valid.length === 0) return submissions.map((s) => ({ index: s.index, width: 0, label: formatScore(null, metric) }));
  const max = valid.reduce((a, b) => (b > a ? b : a));
  return submissions.map((s, i) => ({
    index: s.index,
    width: values[i] === null || max === 0n ? 0 : Number((values[i] * 1000n) / max) / 1000,
    label: formatScore(values[i], metric),
  }));
}

/** The evaluator's seats: how many quorums its stake backs at once, and how many are taken. */
export function seats(stake, minStake, assignments) {
  const total = minStake > 0n ? Number(stake / minStake) : 0;
  return { total, used: assignments, free: Math.max(0, total - assignments) };
}

/** Whether an evaluator can be drawn now: in the pool, reputation at the minimum, a free seat. */
export function eligibility(evaluator, minReputation) {
  if (evaluator.status !== 'Active') return { eligible: false, why: 'leaving the pool' };
  if (evaluator.reputation < minReputation) return { eligible: false, why: `reputation below ${formatPermill(minReputation)}` };
  if (evaluator.seats.free === 0) return { eligible: false, why: 'every seat taken' };
  return { eligible: true, why: '' };
}

/** A hex string shortened for a table cell: `0x1234…cdef`. */
export function shortHex(hex, keep = 6) {
  return hex.length <= 2 * keep + 3 ? hex : `${hex.slice(0, keep)}…${hex.slice(-4)}`;
}

/** An account shortened: the dev name when known (`//Alice`), else `5Grw…utQY`. */
export function accountLabel(address, names = {}) {
  return names[address] ?? `${address.slice(0, 4)}…${address.slice(-4)}`;
}

/** Text from the chain (URIs, names: anyone can post them) made safe to put into HTML. */
export function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** A URI from the chain as a link target: only http(s) URIs become links (never `javascript:`). */
export function safeHref(uri) {
  return /^https?:\/\/[^\s"'<>]+$/i.test(uri) ? uri : null;
}

/**
 * A model in the short syntax (`linear`, `mlp:64,32:relu`, `cnn:1x28x28:16k3p2,32k3p2:128:relu`) as
 * the `ModelSpec` value the chain takes, for `inputs` features and `outputs` outputs (as
 * `pouw sponsor create --model` parses it; the chain checks the bounds and names what fails).
 */
export function parseModel(text, inputs, outputs) {
  const bad = (why) => new InputError('BadModel', `"${text}": ${why}`);
  const parts = String(text).trim().split(':');
  const activation = (a) => {
    const name = { relu: 'Relu', tanh: 'Tanh', sigmoid: 'Sigmoid', gelu: 'Gelu' }[a];
    if (!name) throw bad(`unknown activation "${a}" (relu, tanh, sigmoid, gelu)`);
    return name;
  };
  const number = (s) => {
    if (!/^\d+$/.test(s.trim())) throw bad(`"${s}" is not a number`);
    return Number(s);
  };
  if (parts.length === 1 && parts[0] === 'linear') return { Linear: { inputs, outputs } };
  if (parts.length === 3 && parts[0] === 'mlp') {
    return { Mlp: { inputs, hidden: parts[1].split(',').map(number), outputs, activation: activation(parts[2]) } };
  }
  if ((parts.length === 4 || parts.length === 5) && parts[0] === 'cnn') {
    const dims = parts[1].split('x').map(number);
    if (dims.length !== 3) throw bad('the image is CxHxW');
    const [channels, height, width] = dims;
    if (channels * height * width !== inputs) throw bad(`${channels}x${height}x${width} differs from the data's ${inputs} features`);
    const conv = parts[2].split(',').map((layer) => {
      const m = /^(\d+)k(\d+)p(\d+)$/.exec(layer.trim());
      if (!m) throw bad('a layer is <out>k<kernel>p<pool>');
      return { outChannels: Number(m[1]), kernel: Number(m[2]), pool: Number(m[3]) };
    });
    const hidden = parts.length === 5 ? parts[3].split(',').map(number) : [];
    return { Cnn: { channels, height, width, conv, hidden, outputs, activation: activation(parts[parts.length - 1]) } };
  }
  throw bad('use linear, mlp:<widths>:<activation> or cnn:<C>x<H>x<W>:<out>k<kernel>p<pool>,...[:<dense widths>]:<activation>');
}

/**
 * The windows of a new task from the best block and the five phase lengths (open, reveal, test
 * reveal, score commit, score reveal), as `pouw sponsor create --phases` computes them: the
 * transaction lands a block or two later, so the first window starts from `best + 2`.
 */
export function windowsFrom(best, lengths) {
  if (lengths.length !== 5 || lengths.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new InputError('BadWindows', 'five positive phase lengths in blocks');
  }
  let end = best + 2;
  const ends = lengths.map((n) => (end += n));
  const [submissionEnd, revealEnd, testRevealEnd, scoreCommitEnd, evaluationEnd] = ends;
  return { submissionEnd, revealEnd, testRevealEnd, scoreCommitEnd, evaluationEnd };
}

/** A payout split as shares of the bounty: `[{ who, amount, percent }]` (percent with 2 decimals). */
export function split(bounty, parts) {
  return parts.map(([who, amount]) => ({ who, amount, percent: bounty > 0n ? `${fixed(amount * 100n, bounty, 2)} %` : '-' }));
}

/** A long URI shortened for display (the link keeps the whole one): `http://host/blob/d797…0455a`. */
export function shortUri(uri, max = 48) {
  return uri.length <= max ? uri : `${uri.slice(0, max - 14)}…${uri.slice(-12)}`;
}
