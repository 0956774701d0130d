// Reads a pouw node with @polkadot/api (the library polkadot.js apps uses, as scripts/js/ does):
// every type is decoded from the metadata the node serves, nothing here knows SCALE. Each
// function returns plain values (numbers, bigints, strings) for view.js and the pages.
import { ApiPromise, WsProvider } from '@polkadot/api';

/** The pouw pallets whose events the pages show. */
export const POUW_PALLETS = ['taskRegistry', 'verification', 'escrow', 'reputation'];

/** The reputation roles, in the order of the `Role` enum. */
export const ROLES = ['Worker', 'Evaluator', 'Sponsor'];

/** Connects to `endpoint` (ws:// or wss://); rejects after `timeoutMs` without a connection. */
export async function connect(endpoint, timeoutMs = 15000) {
  const provider = new WsProvider(endpoint, 2500, {}, timeoutMs);
  const api = new ApiPromise({ provider, noInitWarn: true, throwOnConnect: true });
  await Promise.race([
    api.isReadyOrError,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer from ${endpoint} within ${timeoutMs / 1000} s`)), timeoutMs)),
  ]).catch(async (e) => {
    await api.disconnect().catch(() => {});
    throw e;
  });
  return api;
}

/** What every page needs once: the chain's name, token, block time and pouw constants. */
export async function chainInfo(api) {
  const [name, chainType, header] = await Promise.all([
    api.rpc.system.chain(),
    api.rpc.system.chainType(),
    api.rpc.chain.getHeader(),
  ]);
  const best = header.number.toNumber();
  // Aura's slot duration; the pages measure the real pace as blocks arrive (a dev node makes a
  // block a second but stamps each with a whole slot, so timestamps cannot tell).
  let blockMs = 6000;
  try {
    blockMs = Number((await api.call.auraApi.slotDuration()).toBigInt());
  } catch {
    // keep 6 s
  }
  const c = api.consts;
  return {
    name: name.toString(),
    dev: chainType.isDevelopment || chainType.isLocal,
    decimals: api.registry.chainDecimals[0] ?? 12,
    symbol: api.registry.chainTokens[0] ?? 'UNIT',
    blockMs,
    best,
    appealWindow: c.taskRegistry.appealWindow.toNumber(),
    minEvaluatorStake: c.verification.minEvaluatorStake.toBigInt(),
    minEvaluatorReputation: c.verification.minEvaluatorReputation.toNumber(),
    minPhaseBlocks: c.taskRegistry.minPhaseBlocks.toNumber(),
    minQuorum: c.taskRegistry.minQuorum.toNumber(),
    minTestSamples: c.taskRegistry.minTestSamples.toNumber(),
    minBounty: c.taskRegistry.minBounty.toBigInt(),
    taskDeposit: c.taskRegistry.taskDeposit.toBigInt(),
    decayPeriod: c.reputation.decayPeriod.toNumber(),
    decayPerPeriod: c.reputation.decayPerPeriod.toNumber(),
    neutral: c.reputation.neutral.toNumber(),
  };
}

function hex(u8aCodec) {
  return u8aCodec.toHex();
}

function text(bytes) {
  return bytes.toUtf8();
}

function enumValue(codec) {
  // `Active` for a unit variant, `{ Failed: 'NoAgreement' }` for a variant with a unit inside.
  const json = codec.toJSON();
  if (typeof json === 'string') return json.charAt(0).toUpperCase() + json.slice(1);
  const [k, v] = Object.entries(json)[0];
  const key = k.charAt(0).toUpperCase() + k.slice(1);
  if (v === null) return key;
  const val = typeof v === 'string' ? v.charAt(0).toUpperCase() + v.slice(1) : v;
  return { [key]: val };
}

/** A stored `TaskInfo` as plain values. */
export function plainTask(id, info) {
  const s = info.spec;
  const w = s.windows;
  const model = s.model.toJSON();
  const normalise = (m) => {
    const [k, v] = Object.entries(m)[0];
    const key = k.charAt(0).toUpperCase() + k.slice(1);
    const val = { ...v };
    if (val.activation) val.activation = val.activation.charAt(0).toUpperCase() + val.activation.slice(1);
    return { [key]: val };
  };
  return {
    id,
    sponsor: info.sponsor.toString(),
    bounty: info.bounty.toBigInt(),
    deposit: info.deposit.toBigInt(),
    createdAt: info.createdAt.toNumber(),
    status: enumValue(info.status),
    submissions: info.submissions.toNumber(),
    revealed: info.revealed.toNumber(),
    testSet: info.testSet.isSome ? { uri: text(info.testSet.unwrap().uri), hash: hex(info.testSet.unwrap().hash) } : null,
    appeal: info.appeal.isSome
      ? { appellant: info.appeal.unwrap().appellant.toString(), bond: info.appeal.unwrap().bond.toBigInt(), drawn: info.appeal.unwrap().drawn.isTrue }
      : null,
    winner: info.winner.isSome
      ? {
          submission: info.winner.unwrap().submission.toNumber(),
          worker: info.winner.unwrap().worker.toString(),
          modelUri: text(info.winner.unwrap().modelUri),
          modelHash: hex(info.winner.unwrap().modelHash),
          score: info.winner.unwrap().score.toBigInt(),
        }
      : null,
    spec: {
      dataset: {
        uri: text(s.dataset.uri),
        hash: hex(s.dataset.hash),
        format: s.dataset.format.isCsv ? `CSV (label column "${text(s.dataset.format.asCsv.labelColumn)}")` : 'safetensors',
        samples: s.dataset.shape.samples.toNumber(),
        features: s.dataset.shape.features.toNumber(),
        classes: s.dataset.shape.classes.toNumber(),
      },
      testSamples: s.testSamples.toNumber(),
      model: normalise(model),
      metric: s.metric.type,
      minScore: s.minScore.isSome ? s.minScore.unwrap().toBigInt() : null,
      quorum: s.quorum.toNumber(),
      minWorkerReputation: s.minWorkerReputation.toNumber(),
      parent: s.parent.isSome ? s.parent.unwrap().toNumber() : null,
    },
    windows: {
      submissionEnd: w.submissionEnd.toNumber(),
      revealEnd: w.revealEnd.toNumber(),
      testRevealEnd: w.testRevealEnd.toNumber(),
      scoreCommitEnd: w.scoreCommitEnd.toNumber(),
      evaluationEnd: w.evaluationEnd.toNumber(),
    },
  };
}

/** Every stored task (ended tasks stay until pruned after the retention period), newest first. */
export async function loadTasks(api) {
  const entries = await api.query.taskRegistry.tasks.entries();
  return entries
    .map(([key, value]) => plainTask(key.args[0].toNumber(), value.unwrap()))
    .sort((a, b) => b.id - a.id);
}

function scoresOf(vec) {
  return vec.map(([index, score]) => ({ index: index.toNumber(), score: score.isSome ? score.unwrap().toBigInt() : null }));
}

function quorumOf(opt) {
  if (opt.isNone) return null;
  const q = opt.unwrap();
  return { members: q.members.map((m) => m.toString()), seed: q.seed.toHex(), concluded: q.concluded.isTrue };
}

/** One task with everything its page shows; `null` when it is not stored (never or pruned). */
export async function loadTask(api, id) {
  const info = await api.query.taskRegistry.tasks(id);
  if (info.isNone) return null;
  const task = plainTask(id, info.unwrap());
  const [subs, quorum, appealQuorum, commitments, revealed, unusable, medians] = await Promise.all([
    api.query.taskRegistry.submissions.entries(id),
    api.query.verification.quorums(id),
    api.query.verification.appealQuorums(id),
    api.query.verification.scoreCommitments.entries(id),
    api.query.verification.revealedScores.entries(id),
    api.query.verification.reportedUnusable.entries(id),
    api.query.verification.medians(id),
  ]);
  const medianOf = new Map(medians.isSome ? scoresOf(medians.unwrap()).map((m) => [m.index, m.score]) : []);
  task.submissionList = subs
    .map(([key, value]) => {
      const s = value.unwrap();
      const index = key.args[1].toNumber();
      return {
        index,
        worker: s.worker.toString(),
        bond: s.bond.toBigInt(),
        committedAt: s.committedAt.toNumber(),
        model: s.model.isSome ? { uri: text(s.model.unwrap().uri), hash: hex(s.model.unwrap().hash) } : null,
        median: medianOf.has(index) ? medianOf.get(index) : undefined,
      };
    })
    .sort((a, b) => a.index - b.index);
  task.mediansKnown = medians.isSome;
  task.quorumDrawn = quorumOf(quorum);
  task.appealQuorum = quorumOf(appealQuorum);
  task.scoreCommitted = commitments.map(([key]) => key.args[1].toString());
  task.scores = revealed.map(([key, value]) => ({ evaluator: key.args[1].toString(), scores: scoresOf(value.unwrap()) }));
  task.unusable = unusable.map(([key]) => key.args[1].toString());
  return task;
}

/** A dispatch error by name with its docs: `{ name: 'taskRegistry.InsufficientBalance', docs }`. */
export function dispatchErrorText(api, dispatchError) {
  if (dispatchError.isModule) {
    const e = api.registry.findMetaError(dispatchError.asModule);
    return { name: `${e.section}.${e.name}`, docs: e.docs.join(' ').trim() };
  }
  if (dispatchError.isToken) return { name: `Token.${dispatchError.asToken.type}`, docs: 'a balance check of the runtime failed' };
  if (dispatchError.isArithmetic) return { name: `Arithmetic.${dispatchError.asArithmetic.type}`, docs: '' };
  return { name: dispatchError.type, docs: dispatchError.toString() };
}

/** The pouw events of one block as plain records: `{ block, section, method, data, index }`. */
export async function blockEvents(api, block) {
  const hash = await api.rpc.chain.getBlockHash(block);
  const events = await api.query.system.events.at(hash);
  return eventsOf(events, block);
}

/** The pouw events among `records` (a block's `system.events`), as plain records. */
export function eventsOf(records, block) {
  const out = [];
  records.forEach((record, index) => {
    const { event } = record;
    if (!POUW_PALLETS.includes(event.section)) return;
    // Field names as the metadata has them (`winner_paid`), in camelCase like the rest of the API.
    const names = event.meta.fields.map((f) => f.name.unwrapOr(null)?.toString().replace(/_([a-z])/g, (_, c) => c.toUpperCase()));
    const data = {};
    event.data.forEach((value, i) => {
      data[names[i] ?? i] = value;
    });
    out.push({ block, index, section: event.section, method: event.method, data, docs: event.meta.docs.join(' ').trim() });
  });
  return out;
}

/**
 * The pouw events of blocks `from` to `to`, `parallel` blocks at a time; `onProgress(done, all)`
 * after each batch. A block whose state the node has pruned is skipped and counted in `missing`
 * (a node keeps 256 blocks' state unless it runs with `--state-pruning archive`).
 */
export async function scanEvents(api, from, to, onProgress = () => {}, parallel = 16) {
  const events = [];
  let missing = 0;
  const blocks = [];
  for (let b = Math.max(1, from); b <= to; b += 1) blocks.push(b);
  for (let i = 0; i < blocks.length; i += parallel) {
    const batch = blocks.slice(i, i + parallel);
    const found = await Promise.all(batch.map((b) => blockEvents(api, b).catch(() => null)));
    for (const f of found) {
      if (f === null) missing += 1;
      else events.push(...f);
    }
    onProgress(Math.min(i + parallel, blocks.length), blocks.length);
  }
  return { events, missing };
}

/** Whether event `e` is about task `id`. */
export function isAboutTask(e, id) {
  const task = e.data.task;
  return task !== undefined && Number(task.toString()) === id;
}

/** An account's page: balances, holds by reason, reputation per role, its evaluator record. */
export async function loadAccount(api, address) {
  const [account, holds, view, evaluator, stake, ...stored] = await Promise.all([
    api.query.system.account(address),
    api.query.balances.holds(address),
    api.call.pouwApi.reputation(address),
    api.query.verification.evaluators(address),
    api.query.escrow.stakes(address),
    ...ROLES.map((role) => api.query.reputation.reputations(address, role)),
  ]);
  const current = { Worker: view.worker.toNumber(), Evaluator: view.evaluator.toNumber(), Sponsor: view.sponsor.toNumber() };
  return {
    address,
    free: account.data.free.toBigInt(),
    reserved: account.data.reserved.toBigInt(),
    frozen: account.data.frozen.toBigInt(),
    holds: holds.map((h) => ({ reason: holdReason(h.id), amount: h.amount.toBigInt() })),
    reputation: ROLES.map((role, i) => ({
      role,
      current: current[role],
      stored: stored[i].isSome ? { score: stored[i].unwrap().score.toNumber(), updatedAt: stored[i].unwrap().updatedAt.toNumber() } : null,
    })),
    evaluator: evaluator.isSome ? plainEvaluator(evaluator.unwrap()) : null,
    stake: stake.isSome ? stake.unwrap().toBigInt() : 0n,
  };
}

function holdReason(id) {
  // A `RuntimeHoldReason`: `{ Escrow: 'TaskBounty' }` becomes `Escrow.TaskBounty`.
  const json = id.toJSON();
  if (typeof json === 'string') return json;
  const [pallet, reason] = Object.entries(json)[0];
  return `${pallet.charAt(0).toUpperCase() + pallet.slice(1)}.${typeof reason === 'string' ? reason.charAt(0).toUpperCase() + reason.slice(1) : JSON.stringify(reason)}`;
}

function plainEvaluator(info) {
  return {
    status: info.status.isActive ? 'Active' : 'Leaving',
    leavingSince: info.status.isLeaving ? info.status.asLeaving.since.toNumber() : null,
    assignments: info.assignments.toNumber(),
    appeals: info.appeals.toNumber(),
  };
}

/** The evaluator pool: each member's record, stake and current evaluator reputation. */
export async function loadEvaluators(api) {
  const pool = await api.query.verification.pool();
  return Promise.all(
    pool.map(async (who) => {
      const address = who.toString();
      const [info, stake, view] = await Promise.all([
        api.query.verification.evaluators(address),
        api.query.escrow.stakes(address),
        api.call.pouwApi.reputation(address),
      ]);
      return {
        address,
        ...(info.isSome ? plainEvaluator(info.unwrap()) : { status: 'Unknown', assignments: 0, appeals: 0 }),
        stake: stake.isSome ? stake.unwrap().toBigInt() : 0n,
        reputation: view.evaluator.toNumber(),
      };
    }),
  );
}

/** The tasks `address` took part in: as sponsor, worker or drawn evaluator (stored tasks only). */
export async function tasksOf(api, address, tasks) {
  const out = [];
  await Promise.all(
    tasks.map(async (t) => {
      const roles = [];
      if (t.sponsor === address) roles.push('sponsor');
      const [sub, quorum] = await Promise.all([
        api.query.taskRegistry.workerSubmission(t.id, address),
        api.query.verification.quorums(t.id),
      ]);
      if (sub.isSome) roles.push('worker');
      if (quorum.isSome && quorum.unwrap().members.some((m) => m.toString() === address)) roles.push('evaluator');
      if (roles.length) out.push({ task: t, roles });
    }),
  );
  return out.sort((a, b) => b.task.id - a.task.id);
}
