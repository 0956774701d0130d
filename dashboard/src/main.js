// The dashboard's pages. Plain DOM and template strings (no framework): every value from the
// chain passes through `esc` before it reaches innerHTML, since anyone can post a task's text.
import { web3Accounts, web3Enable, web3FromAddress } from '@polkadot/extension-dapp';
import { Keyring } from '@polkadot/keyring';
import { u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';
import * as chain from './chain.js';
import * as v from './view.js';

const esc = v.escapeHtml;
const DEV_NAMES = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'];
const DEFAULT_ENDPOINT = 'ws://127.0.0.1:9944';

const state = {
  api: null,
  info: null,
  best: 0,
  names: {}, // address -> //Name for the dev accounts
  devPairs: [], // signing pairs of the dev accounts (dev chains only)
  live: [], // pouw events of the blocks seen since the page opened (newest last, bounded)
  taskEvents: new Map(), // task id -> { events, missing, scanned: [from, to] }
  filter: 'all',
  rendering: false,
  again: false,
};

const $ = (sel) => document.querySelector(sel);
const main = () => $('#main');

function endpoint() {
  const fromUrl = new URLSearchParams(location.search).get('rpc');
  return fromUrl || localStorage.getItem('pouw-endpoint') || DEFAULT_ENDPOINT;
}

function amount(planck) {
  return v.formatAmount(planck, state.info.decimals, state.info.symbol);
}

function who(address) {
  return `<a href="#/account/${esc(address)}" class="account" title="${esc(address)}">${esc(v.accountLabel(address, state.names))}</a>`;
}

function link(uri) {
  const href = v.safeHref(uri);
  const shown = esc(v.shortUri(uri));
  return href ? `<a href="${esc(href)}" title="${esc(uri)}" rel="noopener noreferrer nofollow">${shown}</a>` : `<code title="${esc(uri)}">${shown}</code>`;
}

function taskLink(id) {
  return `<a href="#/task/${id}">#${id}</a>`;
}

function setStatus(text, kind = '') {
  const el = $('#status');
  el.textContent = text;
  el.className = kind;
}

// ---------------------------------------------------------------------------------------------
// Connection and live updates

async function start() {
  $('#endpoint').value = endpoint();
  $('#connect').addEventListener('submit', (e) => {
    e.preventDefault();
    const url = $('#endpoint').value.trim();
    localStorage.setItem('pouw-endpoint', url);
    const params = new URLSearchParams(location.search);
    params.set('rpc', url);
    location.search = params.toString();
  });
  window.addEventListener('hashchange', () => render());
  await cryptoWaitReady();
  // A page opened before its node is up keeps trying (a dev node takes a minute to start).
  for (let attempt = 1; ; attempt += 1) {
    setStatus(`connecting to ${endpoint()}…`);
    try {
      state.api = await chain.connect(endpoint());
      state.info = await chain.chainInfo(state.api);
      break;
    } catch (e) {
      setStatus(`cannot connect to ${endpoint()}: ${e.message}; trying again in 5 s`, 'error');
      main().innerHTML = `<p class="error">No node answers at <code>${esc(endpoint())}</code> (attempt ${attempt}). Start one
        (<code>./scripts/dev-node.sh</code>) or enter another endpoint above; this page tries again every 5 s.</p>`;
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  }
  state.best = state.info.best;
  if (state.info.dev) {
    const keyring = new Keyring({ type: 'sr25519', ss58Format: state.api.registry.chainSS58 ?? 42 });
    for (const name of DEV_NAMES) {
      const pair = keyring.addFromUri(`//${name}`);
      state.names[pair.address] = `//${name}`;
      state.devPairs.push(pair);
    }
  }
  const treasury = state.api.consts.taskRegistry.treasury?.toString?.();
  if (treasury) state.names[treasury] = 'treasury';
  state.api.on('disconnected', () => setStatus(`disconnected from ${endpoint()}: reconnecting…`, 'error'));
  state.api.on('connected', () => setStatus(`connected to ${state.info.name}`));
  await state.api.rpc.chain.subscribeNewHeads(async (header) => {
    const block = header.number.toNumber();
    try {
      state.live.push(...chain.eventsOf(await state.api.query.system.events.at(header.hash), block));
      if (state.live.length > 2000) state.live.splice(0, state.live.length - 2000);
    } catch {
      // the next block brings its own
    }
    state.best = Math.max(state.best, block);
    // The block time as it is: wall-clock time over the blocks seen since the page connected.
    state.seen ??= { at: Date.now(), block };
    if (block - state.seen.block >= 3) state.info.blockMs = (Date.now() - state.seen.at) / (block - state.seen.block);
    $('#best').textContent = `block #${state.best}${state.seen && block - state.seen.block >= 3 ? ` · ${(state.info.blockMs / 1000).toFixed(1)} s a block` : ''}`;
    if (!location.hash.startsWith('#/post')) render({ fromBlock: true });
  });
  setStatus(`connected to ${state.info.name} (${state.info.dev ? 'dev chain: dev accounts can sign' : 'sign with the browser extension'})`);
  render();
}

/**
 * Renders the page of the current hash; a render asked for during one runs once after it. A new
 * block does not re-render while the user is typing in the page, and opened <details> stay open.
 */
async function render({ fromBlock = false } = {}) {
  if (!state.api) return;
  const focus = document.activeElement;
  if (fromBlock && focus && main().contains(focus) && ['INPUT', 'SELECT', 'TEXTAREA'].includes(focus.tagName) && focus.type !== 'radio') return;
  if (state.rendering) {
    state.again = true;
    return;
  }
  state.rendering = true;
  const open = [...document.querySelectorAll('details[open] > summary')].map((el) => el.textContent);
  try {
    const [, page, arg] = (location.hash || '#/tasks').split('/');
    for (const a of document.querySelectorAll('nav a')) a.classList.toggle('current', a.getAttribute('href') === `#/${page}`);
    if (page === 'task') await taskPage(Number(arg));
    else if (page === 'account') await accountPage(arg ? decodeURIComponent(arg) : '');
    else if (page === 'evaluators') await evaluatorsPage();
    else if (page === 'post') await postPage();
    else await tasksPage();
    for (const el of document.querySelectorAll('details > summary')) if (open.includes(el.textContent)) el.parentElement.open = true;
  } catch (e) {
    main().innerHTML = `<p class="error">${esc(e.message ?? e)}</p>`;
  } finally {
    state.rendering = false;
    if (state.again) {
      state.again = false;
      render();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Tasks

async function tasksPage() {
  const tasks = await chain.loadTasks(state.api);
  const now = state.best;
  const rows = tasks
    .filter((t) => v.matchesFilter(t, state.filter))
    .map((t) => {
      const { phase, endsAt } = v.phaseAt(t, now, state.info.appealWindow);
      return `<tr data-task="${t.id}">
        <td>${taskLink(t.id)}</td>
        <td><span class="phase ${phase}">${phase}</span>${t.status === 'Active' ? '' : `<br><small>${esc(v.statusText(t.status))}</small>`}</td>
        <td>${v.countdown(endsAt, now, state.info.blockMs)}${endsAt === null ? '' : `<br><small>ends at #${endsAt}</small>`}</td>
        <td class="num">${amount(t.bounty)}</td>
        <td><code>${esc(v.modelText(t.spec.model))}</code></td>
        <td>${esc(t.spec.metric)}</td>
        <td class="num">${t.spec.quorum}</td>
        <td class="num">${t.submissions} / ${t.revealed}</td>
        <td>${who(t.sponsor)}</td>
      </tr>`;
    })
    .join('');
  const filters = ['all', 'active', 'ended']
    .map((f) => `<label><input type="radio" name="filter" value="${f}" ${state.filter === f ? 'checked' : ''}> ${f}</label>`)
    .join(' ');
  main().innerHTML = `<h1>Tasks</h1>
    <fieldset class="filters"><legend>Show</legend>${filters}</fieldset>
    <div class="scroll"><table id="tasks">
      <thead><tr><th>task</th><th>phase</th><th>phase ends in</th><th>bounty</th><th>model</th><th>metric</th>
      <th>quorum</th><th>commits / reveals</th><th>sponsor</th></tr></thead>
      <tbody>${rows || `<tr><td colspan="9">No ${state.filter === 'all' ? '' : state.filter} tasks stored on this chain.</td></tr>`}</tbody>
    </table></div>`;
  for (const input of document.querySelectorAll('input[name=filter]')) {
    input.addEventListener('change', () => {
      state.filter = input.value;
      render();
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Task

/** The task's events: its blocks scanned once (bounded), then the live ones as blocks come. */
async function eventsOfTask(task) {
  const cap = 3000;
  const end = Math.min(state.best, v.appealBlocks(task.windows, state.info.appealWindow).revealEnd + 1);
  let cached = state.taskEvents.get(task.id);
  if (!cached) {
    const from = Math.max(task.createdAt, end - cap + 1);
    const progress = $('#scan');
    const scan = await chain.scanEvents(state.api, from, end, (done, all) => {
      if (progress) progress.textContent = `reading events: ${done} of ${all} blocks`;
    });
    cached = { events: scan.events, missing: scan.missing, from, to: end, skipped: from - task.createdAt };
    state.taskEvents.set(task.id, cached);
  }
  const live = state.live.filter((e) => e.block > cached.to);
  return { ...cached, events: [...cached.events, ...live].filter((e) => chain.isAboutTask(e, task.id)) };
}

function eventLine(e, metric) {
  const parts = Object.entries(e.data)
    .filter(([k]) => k !== 'task')
    .map(([k, value]) => {
      let shown;
      if (['who', 'worker', 'sponsor', 'appellant', 'by', 'from', 'to'].includes(k)) shown = who(value.toString());
      else if (['bounty', 'amount', 'winnerPaid', 'evaluatorsPaid', 'treasuryPaid', 'bond', 'slashed', 'stake', 'added'].includes(k)) shown = amount(value.toBigInt());
      else if (k === 'score') shown = v.formatScore(value.toBigInt(), metric);
      else if (k === 'members') shown = value.map((m) => who(m.toString())).join(', ');
      else if (k === 'uri') shown = link(value.toUtf8());
      else if (k === 'scores' || k === 'medians') shown = value.map(([i, s]) => `#${i}: ${v.formatScore(s.isSome ? s.unwrap().toBigInt() : null, metric)}`).join(', ');
      else if (value.isNone) shown = 'none';
      else if (k.endsWith('Hash') || k === 'seed') shown = `<code title="${esc(value.toString())}">${esc(v.shortHex(value.toString(), 10))}</code>`;
      else shown = esc(value.toString());
      return `${esc(k)} ${shown}`;
    });
  return `<li><span class="block">#${e.block}</span> <b title="${esc(e.docs)}">${esc(e.section)}.${esc(e.method)}</b> ${parts.join('; ')}</li>`;
}

async function taskPage(id) {
  const task = await chain.loadTask(state.api, id);
  if (!task) {
    main().innerHTML = `<h1>Task #${id}</h1><p class="error">Task #${id} is not stored on this chain: never created, or ended
      and pruned after the retention period.</p>`;
    return;
  }
  const now = state.best;
  const metric = task.spec.metric;
  const { phase, endsAt } = v.phaseAt(task, now, state.info.appealWindow);
  if (!state.taskEvents.has(id)) main().innerHTML = `<h1>Task #${id}</h1><p id="scan">reading events…</p>`;
  const history = await eventsOfTask(task);
  const ev = (method) => history.events.filter((e) => e.method === method);
  const d = task.spec.dataset;

  const timeline = v
    .timeline(task, now, state.info.appealWindow)
    .map((r) => `<li class="${r.state}"><span class="phase ${r.phase}">${r.phase}</span> blocks ${r.from}–${r.to}<br><small>${esc(v.PHASES[r.phase])}</small></li>`)
    .join('');

  const evaluators = task.quorumDrawn?.members ?? [];
  const scoreOf = new Map(task.scores.map((s) => [s.evaluator, new Map(s.scores.map((x) => [x.index, x.score]))]));
  const winnerIndex = task.winner?.submission;
  const subRows = task.submissionList
    .map((s) => {
      const cells = evaluators
        .map((e) => {
          const scores = scoreOf.get(e);
          if (task.unusable.includes(e)) return '<td>unusable</td>';
          if (!scores) return `<td>${task.scoreCommitted.includes(e) ? 'committed' : '-'}</td>`;
          return `<td class="num">${v.formatScore(scores.has(s.index) ? scores.get(s.index) : null, metric)}</td>`;
        })
        .join('');
      const median = s.median === undefined ? '-' : v.formatScore(s.median, metric);
      const mark = s.index === winnerIndex ? ' <strong class="winner">winner</strong>' : '';
      return `<tr class="${s.index === winnerIndex ? 'winner-row' : ''}"><td>${s.index}</td><td>${who(s.worker)}</td>
        <td>${s.model ? `${link(s.model.uri)}<br><small><code>${esc(v.shortHex(s.model.hash, 10))}</code></small>` : 'not revealed'}</td>
        <td class="num">${amount(s.bond)}</td>${cells}<td class="num">${median}${mark}</td></tr>`;
    })
    .join('');
  const bars = v
    .chartBars(task.submissionList.filter((s) => s.median !== undefined), metric)
    .map((b) => `<div class="bar-row"><span>#${b.index}</span><div class="bar ${b.index === winnerIndex ? 'win' : ''}" style="width:${(b.width * 100).toFixed(1)}%"></div><span>${b.label}</span></div>`)
    .join('');

  const finalized = ev('TaskFinalized')[0];
  let payout = '<p>No payout yet.</p>';
  if (finalized) {
    const f = finalized.data;
    const parts = v.split(task.bounty, [
      [`winner ${v.accountLabel(f.worker.toString(), state.names)}`, f.winnerPaid.toBigInt()],
      ['honest evaluators', f.evaluatorsPaid.toBigInt()],
      ['treasury', f.treasuryPaid.toBigInt()],
    ]);
    const transfers = history.events
      .filter((e) => e.section === 'escrow' && ['Released', 'Refunded', 'Slashed'].includes(e.method))
      .map((e) => eventLine(e, metric))
      .join('');
    payout = `<table id="payout"><thead><tr><th>to</th><th>amount</th><th>of the bounty</th></tr></thead><tbody>
      ${parts.map((p) => `<tr><td>${esc(p.who)}</td><td class="num">${amount(p.amount)}</td><td class="num">${p.percent}</td></tr>`).join('')}
      </tbody></table><p>Paid at block #${finalized.block}.</p>${transfers ? `<details><summary>Every transfer of the escrow</summary><ul class="events">${transfers}</ul></details>` : ''}`;
  } else if (task.status !== 'Active') {
    const failed = ev('TaskFailed')[0];
    payout = `<p>${esc(v.statusText(task.status))}${failed ? ` at block #${failed.block}` : ''}: no winner was paid.</p>`;
  }

  const predictable = ev('PredictableSeedUsed').length > 0;
  const deferred = ev('DrawDeferred');
  const drawn = ev('QuorumDrawn')[0];
  const randomness = task.quorumDrawn
    ? `${predictable ? 'the parent block hash (dev fallback: predictable, dev chains only)' : 'relay-chain randomness'}; seed <code>${esc(v.shortHex(task.quorumDrawn.seed, 10))}</code>${drawn ? `, drawn at block #${drawn.block} from ${drawn.data.eligible} eligible evaluators` : ''}${deferred.length ? `; deferred ${deferred.length} time(s)` : ''}`
    : 'not drawn yet (at the first block after the test-reveal window)';
  const rejections = history.events
    .filter((e) => ['SubmissionRejected', 'SubmissionDisplaced', 'TaskFailed', 'NoAgreement', 'EvaluatorPenalised', 'TestSetReportedUnusable', 'Appealed'].includes(e.method))
    .map((e) => eventLine(e, metric))
    .join('');

  main().innerHTML = `<h1>Task #${id} <span class="phase ${phase}">${phase}</span></h1>
    <p class="lead">${esc(v.statusText(task.status))}${endsAt !== null ? ` · phase ends at block #${endsAt}: ${v.countdown(endsAt, now, state.info.blockMs)} left` : ''}</p>
    <section><h2>The task</h2><dl class="spec">
      <dt>sponsor</dt><dd>${who(task.sponsor)}</dd>
      <dt>bounty</dt><dd>${amount(task.bounty)} (creation deposit ${amount(task.deposit)})</dd>
      <dt>training data</dt><dd>${link(d.uri)}<br><small>${esc(d.format)}, ${d.samples} samples × ${d.features} features, ${d.classes ? `${d.classes} classes` : 'regression'}; blake2-256 <code>${esc(v.shortHex(d.hash, 10))}</code></small></dd>
      <dt>model</dt><dd>${esc(v.modelWords(task.spec.model))} <code>${esc(v.modelText(task.spec.model))}</code></dd>
      <dt>objective</dt><dd>${esc(metric)} on a secret test set of ${task.spec.testSamples} samples${task.spec.minScore !== null ? `, at least ${v.formatScore(task.spec.minScore, metric)}` : ''}</dd>
      <dt>quorum</dt><dd>${task.spec.quorum} evaluators</dd>
      <dt>workers</dt><dd>reputation at least ${v.formatPermill(task.spec.minWorkerReputation)}</dd>
      ${task.spec.parent !== null ? `<dt>starts from</dt><dd>${taskLink(task.spec.parent)}'s winning model</dd>` : ''}
      <dt>test set</dt><dd>${task.testSet ? `${link(task.testSet.uri)} <small><code>${esc(v.shortHex(task.testSet.hash, 10))}</code></small>` : 'secret until the sponsor reveals it'}</dd>
      <dt>quorum randomness</dt><dd>${randomness}</dd>
      ${task.appeal ? `<dt>appeal</dt><dd>by ${who(task.appeal.appellant)}, bond ${amount(task.appeal.bond)}${task.appeal.drawn ? ', appeal quorum drawn' : ''}</dd>` : ''}
    </dl></section>
    <section><h2>Timeline</h2><ol class="timeline">${timeline}</ol></section>
    <section><h2>Submissions and scores</h2><div class="scroll"><table id="submissions"><thead><tr><th>#</th><th>worker</th><th>model</th><th>bond</th>
      ${evaluators.map((e) => `<th>${who(e)}</th>`).join('')}<th>median</th></tr></thead>
      <tbody>${subRows || `<tr><td colspan="${5 + evaluators.length}">No commitments yet.</td></tr>`}</tbody></table></div>
      ${bars ? `<figure class="chart" aria-label="medians"><figcaption>Medians (${metric === 'Accuracy' ? 'higher' : 'lower'} is better)</figcaption>${bars}</figure>` : ''}
    </section>
    <section><h2>Winner and payout</h2>${task.winner ? `<p id="winner">${who(task.winner.worker)} won with submission #${task.winner.submission}: ${v.formatScore(task.winner.score, metric)}; weights ${link(task.winner.modelUri)}</p>` : ''}${payout}</section>
    <section><h2>Rejections, failures and penalties</h2>${rejections ? `<ul class="events">${rejections}</ul>` : '<p>None.</p>'}</section>
    <section><h2>Every event of this task</h2>
      <p><small>${history.skipped > 0 ? `The first ${history.skipped} blocks were not read (only the last 3,000 are). ` : ''}${history.missing ? `${history.missing} blocks' events are pruned on this node (start it with --state-pruning archive to keep them).` : ''}</small></p>
      <ul class="events">${history.events.map((e) => eventLine(e, metric)).join('')}</ul></section>`;
}

// ---------------------------------------------------------------------------------------------
// Accounts

async function accountPage(address) {
  const known = Object.entries(state.names)
    .map(([a, n]) => `<a href="#/account/${esc(a)}">${esc(n)}</a>`)
    .join(' · ');
  const lookup = `<form id="lookup" class="inline"><label>Account <input name="address" value="${esc(address)}" size="50" placeholder="SS58 address" required></label> <button>Show</button></form>${known ? `<p>${known}</p>` : ''}`;
  if (!address) {
    main().innerHTML = `<h1>Accounts</h1>${lookup}`;
    bindLookup();
    return;
  }
  let account;
  try {
    state.api.createType('AccountId', address);
    account = await chain.loadAccount(state.api, address);
  } catch (e) {
    main().innerHTML = `<h1>Accounts</h1>${lookup}<p class="error">BadAddress: "${esc(address)}" is not an account of this chain (${esc(e.message)})</p>`;
    bindLookup();
    return;
  }
  const tasks = await chain.tasksOf(state.api, address, await chain.loadTasks(state.api));
  const next = v.nextDecayAt(state.best, state.info.decayPeriod);
  const reputation = account.reputation
    .map(
      (r) => `<tr><td>${r.role}</td><td class="num">${v.formatPermill(r.current)}</td>
      <td>${r.stored ? `${v.formatPermill(r.stored.score)} at block #${r.stored.updatedAt}` : 'never recorded (the role\'s initial value)'}</td></tr>`,
    )
    .join('');
  const holds = account.holds.map((h) => `<tr><td>${esc(h.reason)}</td><td class="num">${amount(h.amount)}</td></tr>`).join('');
  main().innerHTML = `<h1>${esc(v.accountLabel(address, state.names))}</h1>${lookup}
    <p><code class="address">${esc(address)}</code></p>
    <section><h2>Balance</h2><dl class="spec"><dt>free</dt><dd>${amount(account.free)}</dd><dt>held</dt><dd>${amount(account.reserved)}</dd>${account.frozen ? `<dt>frozen</dt><dd>${amount(account.frozen)}</dd>` : ''}</dl>
      <table id="holds"><thead><tr><th>held for</th><th>amount</th></tr></thead><tbody>${holds || '<tr><td colspan="2">Nothing on hold.</td></tr>'}</tbody></table></section>
    <section><h2>Reputation</h2><table id="reputation"><thead><tr><th>role</th><th>now (decay applied)</th><th>last recorded</th></tr></thead><tbody>${reputation}</tbody></table>
      <p><small>Every ${state.info.decayPeriod} blocks a score moves ${v.formatPermill(state.info.decayPerPeriod)} of its distance toward ${v.formatPermill(state.info.neutral)}; the next step is at block #${next}.</small></p></section>
    ${account.evaluator ? `<section><h2>Evaluator</h2><p>${esc(account.evaluator.status)}${account.evaluator.leavingSince !== null ? ` since block #${account.evaluator.leavingSince}` : ''}; stake ${amount(account.stake)}; seats in use ${account.evaluator.assignments} of ${v.seats(account.stake, state.info.minEvaluatorStake, account.evaluator.assignments).total}; appeal rounds ${account.evaluator.appeals}.</p></section>` : ''}
    <section><h2>Tasks taken part in</h2>${tasks.length ? `<ul>${tasks.map((t) => `<li>${taskLink(t.task.id)} as ${t.roles.join(', ')} (${esc(v.statusText(t.task.status))})</li>`).join('')}</ul>` : '<p>None among the stored tasks.</p>'}</section>`;
  bindLookup();
}

function bindLookup() {
  $('#lookup')?.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/account/${encodeURIComponent(new FormData(e.target).get('address').trim())}`;
  });
}

// ---------------------------------------------------------------------------------------------
// Evaluators

/** Blocks back the evaluators page reads for recent penalties (then follows new blocks). */
const PENALTY_BLOCKS = 600;

async function evaluatorsPage() {
  const pool = await chain.loadEvaluators(state.api);
  if (!state.recent) {
    main().innerHTML = '<h1>Evaluators</h1><p id="scan">reading recent events…</p>';
    const to = state.best;
    const from = Math.max(1, to - PENALTY_BLOCKS + 1);
    const scan = await chain.scanEvents(state.api, from, to, (done, all) => {
      const el = $('#scan');
      if (el) el.textContent = `reading events: ${done} of ${all} blocks`;
    });
    state.recent = { from, to, events: scan.events, missing: scan.missing };
  }
  const recent = [...state.recent.events, ...state.live.filter((e) => e.block > state.recent.to)];
  const penalties = recent.filter((e) => e.method === 'EvaluatorPenalised').reverse();
  const rows = pool
    .map((e) => {
      const seats = v.seats(e.stake, state.info.minEvaluatorStake, e.assignments);
      const el = v.eligibility({ ...e, seats }, state.info.minEvaluatorReputation);
      return `<tr><td>${who(e.address)}</td><td>${esc(e.status)}</td><td class="num">${amount(e.stake)}</td>
        <td class="num">${seats.used} / ${seats.total}</td><td class="num">${e.appeals}</td><td class="num">${v.formatPermill(e.reputation)}</td>
        <td>${el.eligible ? 'yes' : `no: ${esc(el.why)}`}</td></tr>`;
    })
    .join('');
  main().innerHTML = `<h1>Evaluators</h1>
    <p>A quorum is drawn from evaluators in the pool with reputation at least ${v.formatPermill(state.info.minEvaluatorReputation)} and a free seat:
      each seat is backed by ${amount(state.info.minEvaluatorStake)} of stake.</p>
    <div class="scroll"><table id="evaluators"><thead><tr><th>evaluator</th><th>status</th><th>stake</th><th>seats in use</th><th>appeal rounds</th><th>reputation</th><th>eligible now</th></tr></thead>
    <tbody>${rows || '<tr><td colspan="7">The pool is empty.</td></tr>'}</tbody></table></div>
    <section><h2>Recent penalties</h2><p><small>Since block #${state.recent.from}${state.recent.missing ? ` (${state.recent.missing} blocks' events pruned on this node)` : ''}; each task's page lists its own.</small></p>
      ${penalties.length ? `<ul class="events" id="penalties">${penalties.map((e) => `${eventLine(e, 'Accuracy').replace('<li>', `<li>task ${taskLink(Number(e.data.task.toString()))} `)}`).join('')}</ul>` : '<p id="penalties">None.</p>'}</section>`;
}

// ---------------------------------------------------------------------------------------------
// Post a task

let testFile = null; // { hash: Uint8Array } of the file the sponsor picked; the bytes never leave the page

async function signers() {
  const list = state.devPairs.map((p) => ({ address: p.address, label: `${state.names[p.address]} (dev account)`, pair: p }));
  try {
    const extensions = await web3Enable('pouw dashboard');
    if (extensions.length) {
      for (const a of await web3Accounts()) list.push({ address: a.address, label: `${a.meta.name ?? a.address} (${a.meta.source})`, extension: true });
    }
  } catch {
    // no extension
  }
  return list;
}

async function postPage() {
  if ($('#post')) return; // keep what the sponsor typed
  const accounts = await signers();
  const options = accounts.map((a, i) => `<option value="${i}">${esc(a.label)}</option>`).join('');
  const i = state.info;
  main().innerHTML = `<h1>Post a task</h1>
    ${accounts.length ? '' : '<p class="error">No account can sign: install the polkadot.js extension (or use a dev chain, whose dev accounts sign here).</p>'}
    <form id="post" novalidate>
      <fieldset><legend>Training data (public)</legend>
        <label>URI <input name="uri" required placeholder="http://host/blob/…" size="50"></label>
        <label>blake2-256 hash <input name="hash" required placeholder="0x…" size="68"></label>
        <label>Format <select name="format"><option value="csv">CSV</option><option value="safetensors">safetensors</option></select></label>
        <label>Label column (CSV) <input name="label" value="label"></label>
        <label>Samples <input name="samples" inputmode="numeric" required></label>
        <label>Features <input name="features" inputmode="numeric" required></label>
        <label>Classes (0: regression) <input name="classes" inputmode="numeric" value="10"></label>
      </fieldset>
      <fieldset><legend>Secret test set</legend>
        <label>Test file <input name="testfile" type="file"></label>
        <p><small>Its hash and the commitment are computed here; the file is never sent. Keep the sponsor record the page offers after posting: its salt reveals the test set.</small></p>
        <label>Test samples (at least ${i.minTestSamples}) <input name="testSamples" inputmode="numeric" required></label>
        <output name="commitment"></output>
      </fieldset>
      <fieldset><legend>Model and objective</legend>
        <label>Model <input name="model" value="mlp:64,32:relu" required></label>
        <label>Metric <select name="metric"><option>Accuracy</option><option>MeanSquaredError</option><option>CrossEntropy</option></select></label>
        <label>Minimum score (optional; accuracy in %) <input name="minScore"></label>
      </fieldset>
      <fieldset><legend>Windows (blocks; at least ${i.minPhaseBlocks} each)</legend>
        <label>Open <input name="p0" value="30" inputmode="numeric"></label>
        <label>Reveal <input name="p1" value="10" inputmode="numeric"></label>
        <label>Test reveal <input name="p2" value="10" inputmode="numeric"></label>
        <label>Score commit <input name="p3" value="10" inputmode="numeric"></label>
        <label>Score reveal <input name="p4" value="10" inputmode="numeric"></label>
      </fieldset>
      <fieldset><legend>Quorum and bounty</legend>
        <label>Quorum (at least ${i.minQuorum}) <input name="quorum" value="${i.minQuorum}" inputmode="numeric"></label>
        <label>Minimum worker reputation (%) <input name="minRep" value="0"></label>
        <label>Bounty (${esc(i.symbol)}, at least ${amount(i.minBounty)}) <input name="bounty" value="100" required></label>
        <label>Parent task (optional) <input name="parent" inputmode="numeric"></label>
        <label>Sign as <select name="signer">${options}</select></label>
      </fieldset>
      <button type="submit">Post the task</button>
    </form>
    <div id="result" role="status" aria-live="polite"></div>`;
  const form = $('#post');
  form.testfile.addEventListener('change', async () => {
    const f = form.testfile.files[0];
    if (!f) return;
    const hash = blake2AsU8a(new Uint8Array(await f.arrayBuffer()), 256);
    testFile = { hash, name: f.name };
    form.commitment.textContent = `test set ${f.name}: blake2-256 ${u8aToHex(hash)}`;
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submitTask(form, accounts).catch((err) => showResult(errorBox(err.name ?? "Error", err.message ?? String(err))));
  });
}

function showResult(html) {
  $('#result').innerHTML = html;
}

function errorBox(name, docs, note = '') {
  return `<div class="error" id="error"><strong>${esc(name)}</strong>${docs ? `: ${esc(docs)}` : ''}${note ? `<br><small>${esc(note)}</small>` : ''}</div>`;
}

function int(form, name, what) {
  const t = String(form[name].value).trim();
  if (!/^\d+$/.test(t)) throw new v.InputError('BadNumber', `${what}: "${t}" is not a whole number`);
  return Number(t);
}

function readHash(text) {
  const t = text.trim();
  if (!/^0x[0-9a-fA-F]{64}$/.test(t)) throw new v.InputError('BadHash', `"${t}" is not a 32-byte hex hash (0x and 64 hex digits)`);
  return t;
}

async function submitTask(form, accounts) {
  const api = state.api;
  const i = state.info;
  showResult('<p>Checking…</p>');
  let spec;
  let bounty;
  let signer;
  try {
    signer = accounts[Number(form.signer.value)];
    if (!signer) throw new v.InputError('NoSigner', 'no account to sign with');
    const classes = int(form, 'classes', 'classes');
    const features = int(form, 'features', 'features');
    const metric = form.metric.value;
    const minScore = form.minScore.value.trim() ? v.parseScore(form.minScore.value, metric) : null;
    const minRep = v.parseAmount(form.minRep.value || '0', 4); // percent with 4 decimals = Permill
    if (minRep > 1_000_000n) throw new v.InputError('BadReputation', 'at most 100 %');
    if (!testFile) throw new v.InputError('NoTestSet', 'pick the secret test file: its hash is committed on chain');
    bounty = v.parseAmount(form.bounty.value, i.decimals);
    const parent = form.parent.value.trim() ? int(form, 'parent', 'parent task') : null;
    const lengths = [0, 1, 2, 3, 4].map((k) => int(form, `p${k}`, 'phase length'));
    spec = {
      dataset: {
        uri: form.uri.value.trim(),
        hash: readHash(form.hash.value),
        format: form.format.value === 'csv' ? { Csv: { labelColumn: form.label.value.trim() } } : { Safetensors: null },
        shape: { samples: int(form, 'samples', 'samples'), features, classes },
      },
      testSamples: int(form, 'testSamples', 'test samples'),
      model: v.parseModel(form.model.value, features, classes > 0 ? classes : 1),
      metric,
      minScore,
      windows: v.windowsFrom(state.best, lengths),
      quorum: int(form, 'quorum', 'quorum'),
      minWorkerReputation: Number(minRep),
      parent,
    };
  } catch (e) {
    showResult(errorBox(e.name ?? 'Error', e.message.replace(/^[A-Za-z]+: /, ''), 'Checked in the page: nothing was sent.'));
    return;
  }
  // The balance the runtime checks first (taskRegistry.InsufficientBalance): checked here too,
  // so an impossible bounty costs no fee.
  const { data } = await api.query.system.account(signer.address);
  const ed = api.consts.balances.existentialDeposit.toBigInt();
  if (bounty + i.taskDeposit + ed > data.free.toBigInt()) {
    const meta = api.errors.taskRegistry.InsufficientBalance.meta;
    showResult(
      errorBox(
        'taskRegistry.InsufficientBalance',
        meta.docs.join(' ').trim(),
        `${v.accountLabel(signer.address, state.names)} has ${amount(data.free.toBigInt())} free; the bounty ${amount(bounty)} and the deposit ${amount(i.taskDeposit)} need more. Checked in the page: nothing was sent.`,
      ),
    );
    return;
  }
  const salt = crypto.getRandomValues(new Uint8Array(32));
  const commitment = blake2AsU8a(u8aConcat(testFile.hash, salt), 256);
  const tx = api.tx.taskRegistry.createTask(spec, u8aToHex(commitment), bounty);
  showResult('<p>Signing and sending…</p>');
  const sendAs = signer.pair ?? signer.address;
  const options = signer.extension ? { signer: (await web3FromAddress(signer.address)).signer } : {};
  await new Promise((resolve, reject) => {
    tx.signAndSend(sendAs, options, ({ status, dispatchError, events }) => {
      if (dispatchError) {
        const { name, docs } = chain.dispatchErrorText(api, dispatchError);
        showResult(errorBox(name, docs, 'The chain refused the task; only the transaction fee was spent.'));
        resolve();
      } else if (status.isInBlock || status.isFinalized) {
        const created = events.find(({ event }) => event.section === 'taskRegistry' && event.method === 'TaskCreated');
        if (!created) {
          showResult(errorBox('NoTaskCreated', 'the transaction landed without a TaskCreated event'));
          return resolve();
        }
        const id = created.event.data[0].toNumber();
        const record = {
          task: id,
          test_hash: u8aToHex(testFile.hash),
          salt: u8aToHex(salt),
          commitment: u8aToHex(commitment),
          revealed: false,
        };
        const blob = URL.createObjectURL(new Blob([JSON.stringify(record, null, 2)], { type: 'application/json' }));
        showResult(`<p class="ok" id="created">Task ${taskLink(id)} created in block ${esc(status.isInBlock ? status.asInBlock.toHex() : status.asFinalized.toHex())}.</p>
          <p><a download="sponsor-task-${id}.json" href="${blob}">Download the sponsor record</a> (the test set's hash and the salt that reveals it:
          keep it secret until the test-reveal window).</p>`);
        resolve();
      }
    }).catch(reject);
  });
}

start();
