// Helpers of scripts/load.sh, over @polkadot/api.
//
//   node load.mjs fund --url WS --from //Alice --amount UNITS SURI...
//       sends UNITS (10^12 plancks each) from --from to every SURI's account, all at once
//       (consecutive nonces), and waits until every transfer is finalized
//   node load.mjs block --url WS
//       prints the latest finalized block's number
//   node load.mjs report --url WS --from-block N [--to-block M] [--tasks a,b,...]
//       reads every block's events in the range and prints, as one JSON object: tasks created,
//       settled (finalized or failed, by reason), and per role the largest lag in blocks between
//       a window opening and the daemon acting in it (worker: commit after creation, reveal after
//       the commit window; evaluator: commit after the draw, reveal after the commit window;
//       sponsor: test-set reveal after the reveal window), with the windows some daemon missed.
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';

const [command, ...rest] = process.argv.slice(2);
function arg(name, fallback) {
  const i = rest.indexOf(`--${name}`);
  if (i < 0) {
    if (fallback === undefined) throw new Error(`--${name} is needed`);
    return fallback;
  }
  return rest[i + 1];
}
const url = arg('url', 'ws://127.0.0.1:9944');
const api = await ApiPromise.create({ provider: new WsProvider(url), noInitWarn: true });
const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
const UNIT = 10n ** 12n;

async function fund() {
  const from = keyring.addFromUri(arg('from'));
  const amount = BigInt(arg('amount')) * UNIT;
  const targets = rest.filter((a, i) => a.startsWith('//') && rest[i - 1] !== '--from');
  let nonce = (await api.rpc.system.accountNextIndex(from.address)).toNumber();
  const sent = targets.map((suri) => {
    const to = keyring.addFromUri(suri).address;
    const tx = api.tx.balances.transferKeepAlive(to, amount);
    const n = nonce++;
    return new Promise((resolve, reject) => {
      tx.signAndSend(from, { nonce: n }, ({ status, dispatchError }) => {
        if (dispatchError) reject(new Error(`transfer to ${suri}: ${dispatchError.toString()}`));
        else if (status.isFinalized) resolve(suri);
        else if (status.isDropped || status.isInvalid || status.isUsurped) reject(new Error(`transfer to ${suri}: ${status.type}`));
      }).catch(reject);
    });
  });
  await Promise.all(sent);
  console.log(JSON.stringify({ funded: targets.length, units: Number(amount / UNIT) }));
}

async function report() {
  const fromBlock = Number(arg('from-block'));
  const toBlock = Number(arg('to-block', (await api.rpc.chain.getHeader()).number.toNumber()));
  const only = arg('tasks', '') ? new Set(arg('tasks').split(',').map(Number)) : null;
  const tasks = new Map(); // id -> {created, windows, ...}
  const lag = { worker_commit: 0, worker_reveal: 0, evaluator_commit: 0, evaluator_reveal: 0, sponsor_reveal: 0 };
  const committed = new Map(); // `${task}/${who}` -> block (workers)
  const revealed = new Set();
  const drawn = new Map(); // task -> {block, members}
  const scoreCommitted = new Set();
  const scoreRevealed = new Set();
  const ended = {};
  const penalised = [];
  const task = (id) => {
    if (!tasks.has(id)) tasks.set(id, {});
    return tasks.get(id);
  };
  for (let n = fromBlock; n <= toBlock; n++) {
    const hash = await api.rpc.chain.getBlockHash(n);
    const events = await api.query.system.events.at(hash);
    for (const { event } of events) {
      const { section, method, data } = event;
      // Named fields (metadata v14): `names` lists them in order.
      const fields = {};
      (data.names ?? []).forEach((name, i) => { fields[name] = data[i].toJSON(); });
      const get = (k) => fields[k];
      const id = get('task');
      if (id === undefined || (only && !only.has(Number(id)))) continue;
      const t = task(Number(id));
      const key = `${section}.${method}`;
      if (key === 'taskRegistry.TaskCreated') {
        t.created = n;
        const info = (await api.query.taskRegistry.tasks.at(hash, id)).toJSON();
        t.windows = info.spec.windows;
      } else if (key === 'taskRegistry.ModelCommitted') {
        committed.set(`${id}/${get('worker')}`, n);
        if (t.created !== undefined) lag.worker_commit = Math.max(lag.worker_commit, n - t.created);
      } else if (key === 'taskRegistry.ModelRevealed') {
        revealed.add(`${id}/${get('worker')}`);
        if (t.windows) lag.worker_reveal = Math.max(lag.worker_reveal, n - (t.windows.submissionEnd + 1));
      } else if (key === 'taskRegistry.TestSetRevealed') {
        if (t.windows) lag.sponsor_reveal = Math.max(lag.sponsor_reveal, n - (t.windows.revealEnd + 1));
      } else if (key === 'verification.QuorumDrawn') {
        drawn.set(Number(id), { block: n, members: get('members') });
      } else if (key === 'verification.ScoresCommitted') {
        scoreCommitted.add(`${id}/${get('who')}`);
        const d = drawn.get(Number(id));
        if (d) lag.evaluator_commit = Math.max(lag.evaluator_commit, n - d.block);
      } else if (key === 'verification.ScoresRevealed' || key === 'verification.TestSetReportedUnusable') {
        scoreRevealed.add(`${id}/${get('who')}`);
        if (t.windows) lag.evaluator_reveal = Math.max(lag.evaluator_reveal, n - (t.windows.scoreCommitEnd + 1));
      } else if (key === 'verification.EvaluatorPenalised') {
        penalised.push({ task: Number(id), who: get('who'), reason: get('reason') });
      } else if (key === 'taskRegistry.TaskFinalized') {
        t.ended = 'Finalized';
        t.endedAt = n;
      } else if (key === 'taskRegistry.TaskFailed') {
        t.ended = `Failed(${JSON.stringify(get('reason'))})`;
        t.endedAt = n;
      } else if (key === 'taskRegistry.TaskCancelled') {
        t.ended = 'Cancelled';
        t.endedAt = n;
      }
    }
  }
  const created = [...tasks.values()].filter((t) => t.created !== undefined);
  for (const t of created) if (t.ended) ended[t.ended] = (ended[t.ended] ?? 0) + 1;
  const missedReveals = [...committed.keys()].filter((k) => {
    const t = tasks.get(Number(k.split('/')[0]));
    return t && t.ended && !revealed.has(k);
  }).length;
  // Tasks created and not yet ended, at the busiest block.
  const changes = [];
  for (const t of created) {
    changes.push([t.created, 1]);
    if (t.endedAt !== undefined) changes.push([t.endedAt, -1]);
  }
  changes.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let inFlight = 0;
  let maxInFlight = 0;
  for (const [, d] of changes) {
    inFlight += d;
    maxInFlight = Math.max(maxInFlight, inFlight);
  }
  let missedScores = 0;
  for (const [id, d] of drawn) {
    for (const who of d.members ?? []) {
      if (!scoreCommitted.has(`${id}/${who}`) || !scoreRevealed.has(`${id}/${who}`)) missedScores += 1;
    }
  }
  console.log(JSON.stringify({
    blocks: [fromBlock, toBlock],
    tasks_created: created.length,
    tasks_settled: created.filter((t) => t.ended).length,
    max_in_flight: maxInFlight,
    endings: ended,
    max_lag_blocks: lag,
    worker_commitments: committed.size,
    worker_reveals_missed: missedReveals,
    quorum_seats: [...drawn.values()].reduce((a, d) => a + (d.members?.length ?? 0), 0),
    evaluator_windows_missed: missedScores,
    evaluators_penalised: penalised.length,
  }));
}

try {
  if (command === 'fund') await fund();
  else if (command === 'report') await report();
  else if (command === 'block') {
    const head = await api.rpc.chain.getFinalizedHead();
    console.log((await api.rpc.chain.getHeader(head)).number.toNumber());
  }
  else throw new Error(`unknown command '${command}' (fund, block or report)`);
} catch (e) {
  console.error(`load.mjs: ${e.message}`);
  process.exitCode = 1;
} finally {
  await api.disconnect();
}
