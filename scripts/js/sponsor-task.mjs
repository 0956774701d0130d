// A dApp sponsor in JavaScript with @polkadot/api (what polkadot.js apps uses): it serves a
// training file and a secret test set over HTTP (GET /blob/<hex>, like `pouw serve`), posts a
// task with `taskRegistry.createTask`, follows the chain's finalized blocks and prints every event
// about the task, reveals the test set when its window opens, and exits when the task is paid
// out (0) or has failed (1).
//
//   node sponsor-task.mjs --train train.csv --test test.csv [--url ws://127.0.0.1:9944]
//       [--suri //Alice] [--port 8300] [--classes 10] [--bounty 100] [--phase-blocks 15,8,8,8,8]
//
// Workers (`pouw worker run`) and evaluators (`pouw evaluator run`) do the rest.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { blake2AsU8a } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []),
);
const url = args.url ?? 'ws://127.0.0.1:9944';
const port = Number(args.port ?? 8300);
const classes = Number(args.classes ?? 10);
const bountyUnits = BigInt(args.bounty ?? 100);
const phases = (args['phase-blocks'] ?? '15,8,8,8,8').split(',').map(Number);
if (!args.train || !args.test || phases.length !== 5 || phases.some((n) => !(n > 0))) {
  console.error('usage: node sponsor-task.mjs --train FILE --test FILE [--phase-blocks a,b,c,d,e] ...');
  process.exit(2);
}

// The data, content-addressed by blake2-256 exactly as the chain and `pouw` hash it.
const train = readFileSync(args.train);
const test = readFileSync(args.test);
const trainHash = blake2AsU8a(train, 256);
const testHash = blake2AsU8a(test, 256);
const blobs = new Map([
  [u8aToHex(trainHash).slice(2), train],
  [u8aToHex(testHash).slice(2), test],
]);
const header = train.toString('utf8', 0, train.indexOf(10)).split(',');
const samples = train.toString('utf8').trim().split('\n').length - 1;
const features = header.length - 1;
// The test set's size is part of the spec: evaluators report a test set of another size unusable.
const testSamples = test.toString('utf8').trim().split('\n').length - 1;
const server = createServer((req, res) => {
  const hex = (req.url ?? '').replace(/^\/blob\/(0x)?/, '');
  const body = blobs.get(hex);
  res.writeHead(body ? 200 : 404, { 'content-type': 'application/octet-stream' });
  res.end(body ?? 'no such blob\n');
});
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${port}/blob/`;

const api = await ApiPromise.create({ provider: new WsProvider(url), noInitWarn: true });
const sponsor = new Keyring({ type: 'sr25519' }).addFromUri(args.suri ?? '//Alice');
const unit = 10n ** BigInt(api.registry.chainDecimals[0] ?? 12);

// Sends a transaction, resolves with its events once its block is finalized, or rejects with the
// dispatch error's `pallet.Name`.
function send(tx) {
  return new Promise((resolve, reject) => {
    tx.signAndSend(sponsor, ({ status, dispatchError, events }) => {
      if (dispatchError) {
        const e = dispatchError.isModule ? api.registry.findMetaError(dispatchError.asModule) : null;
        reject(new Error(e ? `${e.section}.${e.name}` : dispatchError.toString()));
      } else if (status.isFinalized) {
        resolve(events);
      } else if (status.isInvalid || status.isDropped || status.isUsurped) {
        reject(new Error(`transaction ${status.type}`));
      }
    }).catch(reject);
  });
}

const salt = randomBytes(32);
// test-set commitment = blake2_256(SCALE((test_hash, salt))): two raw 32-byte arrays.
const commitment = blake2AsU8a(new Uint8Array([...testHash, ...salt]), 256);
const now = (await api.rpc.chain.getHeader()).number.toNumber();
const ends = [];
phases.reduce((at, n) => (ends.push(at + n + 2), at + n), now);
const spec = {
  dataset: {
    uri: base + u8aToHex(trainHash).slice(2),
    hash: trainHash,
    format: { Csv: { labelColumn: 'label' } },
    shape: { samples, features, classes },
  },
  testSamples,
  model: { Mlp: { inputs: features, hidden: [64, 32], outputs: classes, activation: 'Relu' } },
  metric: 'Accuracy',
  minScore: null,
  windows: {
    submissionEnd: ends[0],
    revealEnd: ends[1],
    testRevealEnd: ends[2],
    scoreCommitEnd: ends[3],
    evaluationEnd: ends[4],
  },
  quorum: 3,
  minWorkerReputation: 0,
  parent: null,
};
const created = await send(api.tx.taskRegistry.createTask(spec, commitment, bountyUnits * unit));
const event = created.find(({ event }) => api.events.taskRegistry.TaskCreated.is(event));
const task = event.event.data.task.toNumber();
console.log(JSON.stringify({ task }));
console.error(`[js-sponsor] task ${task} posted: ${samples} samples x ${features} features, bounty ${bountyUnits} units`);

// Follow finalized blocks: print this task's events, reveal the test set in its window.
let revealing = false;
const done = new Promise((resolve) => {
  api.rpc.chain.subscribeFinalizedHeads(async (head) => {
    const number = head.number.toNumber();
    const events = await (await api.at(head.hash)).query.system.events();
    for (const { event } of events) {
      if (!['taskRegistry', 'verification'].includes(event.section)) continue;
      const data = event.data.toJSON();
      const about = event.data.task ?? event.data[0];
      if (about === undefined || Number(about.toString()) !== task) continue;
      console.error(`[js-sponsor] #${number} ${event.section}.${event.method} ${JSON.stringify(data)}`);
      if (api.events.taskRegistry.TaskFinalized.is(event)) {
        const d = event.data;
        console.error(
          `[js-sponsor] paid: winner ${d.worker} ${d.winnerPaid.toBigInt() / unit} units, ` +
            `evaluators ${d.evaluatorsPaid.toBigInt() / unit}, treasury ${d.treasuryPaid.toBigInt() / unit}`,
        );
        resolve(0);
      }
      if (api.events.taskRegistry.TaskFailed.is(event) || api.events.taskRegistry.TaskCancelled.is(event)) {
        resolve(1);
      }
    }
    if (!revealing && number > spec.windows.revealEnd && number <= spec.windows.testRevealEnd) {
      revealing = true;
      const uri = base + u8aToHex(testHash).slice(2);
      send(api.tx.taskRegistry.revealTestSet(task, uri, testHash, salt))
        .then(() => console.error(`[js-sponsor] test set revealed at ${uri}`))
        .catch((e) => {
          console.error(`[js-sponsor] reveal failed: ${e.message}`);
          revealing = false;
        });
    }
  });
});
const code = await done;
await api.disconnect();
server.close();
process.exit(code);
