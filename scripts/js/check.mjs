// Connects to a pouw node with @polkadot/api (what polkadot.js apps uses), lists the pouw pallets'
// calls and storage from the metadata, submits `taskRegistry.createTask` as Alice, waits for it to
// be in a block, and reads the task back. Exits non-zero on any failure.
//
//   node check.mjs [ws://127.0.0.1:9944]            the check
//   node check.mjs ws://127.0.0.1:9944 --stored     only: a task is stored (after a restart)
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { blake2AsU8a } from '@polkadot/util-crypto';

const endpoint = process.argv[2] ?? 'ws://127.0.0.1:9944';
let passed = 0;
let failed = 0;
function check(what, ok) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (ok) passed += 1; else failed += 1;
}

const api = await ApiPromise.create({ provider: new WsProvider(endpoint), noInitWarn: true });
const chain = await api.rpc.system.chain();
console.log(`connected to ${chain} at ${endpoint}, runtime ${api.runtimeVersion.specName} v${api.runtimeVersion.specVersion}`);

if (process.argv.includes('--stored')) {
  const next = (await api.query.taskRegistry.nextTaskId()).toNumber();
  check(`tasks were created before (next task id ${next})`, next > 0);
  if (next > 0) check(`task #${next - 1} is still stored`, (await api.query.taskRegistry.tasks(next - 1)).isSome);
  await api.disconnect();
  console.log(`js-check: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

for (const pallet of ['escrow', 'reputation', 'verification', 'taskRegistry']) {
  const calls = Object.keys(api.tx[pallet] ?? {});
  const storage = Object.keys(api.query[pallet] ?? {});
  console.log(`${pallet}: calls [${calls.join(', ')}], storage [${storage.join(', ')}]`);
  check(`${pallet} is in the metadata`, storage.length > 0);
}
check('taskRegistry.createTask exists', typeof api.tx.taskRegistry.createTask === 'function');

const keyring = new Keyring({ type: 'sr25519' });
const alice = keyring.addFromUri('//Alice');

// Submits `tx` as `signer`; resolves with the module error's name, or with the events of the
// block that included it (in dev mode a transaction goes from Ready straight to Finalized).
function send(tx, signer) {
  return new Promise((resolve, reject) => {
    tx.signAndSend(signer, ({ status, dispatchError, events }) => {
      if (dispatchError) {
        if (dispatchError.isModule) {
          const e = api.registry.findMetaError(dispatchError.asModule);
          resolve({ error: `${e.section}.${e.name}` });
        } else resolve({ error: dispatchError.toString() });
      } else if (status.isInBlock || status.isFinalized) {
        resolve({ events });
      }
    }).catch(reject);
  });
}

// A task whose quorum the evaluator pool cannot fill is refused (NotEnoughEvaluators): three
// evaluators stake the minimum first, as the demo's do.
const minStake = api.consts.verification.minEvaluatorStake.toBigInt();
for (const name of ['//Dave', '//Eve', '//Ferdie']) {
  const who = keyring.addFromUri(name);
  const known = await api.query.verification.evaluators(who.address);
  if (known.isSome) continue;
  const { error } = await send(api.tx.verification.registerEvaluator(minStake), who);
  check(`${name} registered as an evaluator${error ? ` (got ${error})` : ''}`, !error);
}
const best = (await api.rpc.chain.getHeader()).number.toNumber();
const id = (await api.query.taskRegistry.nextTaskId()).toNumber();
// test-set commitment = blake2_256(SCALE((test_hash, salt))): two raw 32-byte arrays.
const testHash = new Uint8Array(32).fill(0x7e);
const salt = new Uint8Array(32).fill(0x5a);
const commitment = blake2AsU8a(new Uint8Array([...testHash, ...salt]), 256);
const spec = {
  dataset: {
    uri: 'http://127.0.0.1:8000/blob/train',
    hash: '0x' + '09'.repeat(32),
    format: { Csv: { labelColumn: 'label' } },
    shape: { samples: 1437, features: 64, classes: 10 },
  },
  testSamples: 360,
  model: { Mlp: { inputs: 64, hidden: [32], outputs: 10, activation: 'Relu' } },
  metric: 'Accuracy',
  minScore: null,
  windows: {
    submissionEnd: best + 100,
    revealEnd: best + 200,
    testRevealEnd: best + 300,
    scoreCommitEnd: best + 400,
    evaluationEnd: best + 500,
  },
  quorum: 3,
  minWorkerReputation: 0,
  parent: null,
};
const bounty = 10n ** 12n * 10n; // 10 UNIT

const sent = await send(api.tx.taskRegistry.createTask(spec, commitment, bounty), alice);
const outcome =
  sent.error ??
  (sent.events.some(({ event }) => api.events.taskRegistry.TaskCreated.is(event))
    ? 'TaskCreated'
    : 'no TaskCreated event');
check(`createTask is in a block with TaskCreated (got ${outcome})`, outcome === 'TaskCreated');

const task = await api.query.taskRegistry.tasks(id);
check(`task #${id} reads back`, task.isSome);
if (task.isSome) {
  const info = task.unwrap();
  check('its sponsor is Alice', info.sponsor.toString() === alice.address);
  check('its bounty is 10 UNIT', info.bounty.toBigInt() === bounty);
  check('its status is Active', info.status.isActive);
}
await api.disconnect();
console.log(`js-check: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
