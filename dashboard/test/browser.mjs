// The dashboard in a real browser (Debian's chromium, driven by puppeteer-core) against a running
// pouw dev node on which the demo's task has ended (scripts/lib/e2e.sh runs it after the demo):
//
//   node test/browser.mjs ws://127.0.0.1:9944 <task id> <screenshot folder>
//
// Serves dist/ (build it first: node build.mjs) on 127.0.0.1, then checks each page and writes a
// screenshot of it. Ends with `dashboard: N passed, M failed`; exits non-zero on a failure.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import puppeteer from 'puppeteer-core';
import { serve } from '../serve.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist');
const rpc = process.argv[2] ?? 'ws://127.0.0.1:9944';
const taskId = Number(process.argv[3] ?? 0);
const shots = process.argv[4] ?? join(tmpdir(), 'pouw-dashboard-shots');
mkdirSync(shots, { recursive: true });
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';

let passed = 0;
let failed = 0;
function check(what, ok, detail = '') {
  console.log(`[dashboard] ${ok ? 'ok  ' : 'FAIL'} ${what}${!ok && detail ? ` (${detail})` : ''}`);
  if (ok) passed += 1;
  else failed += 1;
}

if (!existsSync(join(dist, 'app.js'))) {
  console.error('dist/app.js is missing: run `node build.mjs` first');
  process.exit(2);
}
const server = await serve(dist);
const base = `http://127.0.0.1:${server.address().port}/?rpc=${encodeURIComponent(rpc)}`;

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  // As root, without a sandbox; no background connections (this machine's network is closed).
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));
await page.setViewport({ width: 1280, height: 900 });
const text = (sel) => page.$eval(sel, (el) => el.innerText);
const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
const wait = (sel, timeout = 60000) => page.waitForSelector(sel, { timeout });

try {
  // Tasks: the demo's task is listed, ended and finalized.
  await page.goto(`${base}#/tasks`);
  await wait(`tr[data-task="${taskId}"]`);
  const row = await text(`tr[data-task="${taskId}"]`);
  check(`the task list shows task #${taskId}`, row.includes(`#${taskId}`), row);
  check('the task list shows it ended and finalized', row.includes('Ended') && row.includes('Finalized'), row);
  check('the task list shows the model and the bounty', row.includes('mlp:64,32:relu') && row.includes('100 POUW'), row);
  await shot('tasks');

  // Task: the winner and the 80/15/5 split.
  await page.goto(`${base}#/task/${taskId}`);
  await wait('#winner');
  const winner = await text('#winner');
  check('the task page marks //Bob the winner', winner.includes('//Bob') && winner.includes('won with submission'), winner);
  await wait('#payout');
  const payout = await text('#payout');
  check('the payout split is 80 / 15 / 5', ['80 POUW', '80.00 %', '15 POUW', '15.00 %', '5 POUW', '5.00 %'].every((s) => payout.includes(s)), payout);
  const subs = await text('#submissions');
  check('each evaluator\'s scores and the medians are shown', (subs.match(/94\.\d{4} %/g) ?? []).length >= 4 && subs.includes('winner'), subs);
  const body = await text('main');
  check('the randomness source of the draw is named', body.includes('quorum randomness') && /dev fallback|relay-chain randomness/.test(body));
  check('the task\'s events are listed (TaskFinalized)', body.includes('taskRegistry.TaskFinalized'));
  await shot('task');
  // The README's picture (docs/dashboard.png): the top of the task page.
  await page.screenshot({ path: join(shots, 'task-top.png'), clip: { x: 0, y: 0, width: 1280, height: 1180 } });

  // Accounts: Alice's balance, holds by reason, reputation per role.
  await page.goto(`${base}#/account/${ALICE}`);
  await wait('#reputation');
  const rep = await text('#reputation');
  check('the account page shows reputation per role', ['Worker', 'Evaluator', 'Sponsor'].every((r) => rep.includes(r)), rep);
  const holds = await text('#holds');
  check('the account page shows holds by reason (the task deposit)', holds.includes('TaskDeposit'), holds);
  check('the account page lists the task Alice sponsored', (await text('main')).includes(`#${taskId} as sponsor`));
  await shot('account');

  // Evaluators: the demo's three, with stakes and seats.
  await page.goto(`${base}#/evaluators`);
  await wait('#evaluators tbody tr td:nth-child(3)');
  const pool = await text('#evaluators');
  check('the evaluator pool lists //Dave, //Eve and //Ferdie', ['//Dave', '//Eve', '//Ferdie'].every((n) => pool.includes(n)), pool);
  await shot('evaluators');

  // Post a task: a bounty above the balance is refused by name; a good one is created and listed.
  await page.goto(`${base}#/post`);
  await wait('#post');
  const testFile = join(tmpdir(), `pouw-dashboard-test-${process.pid}.csv`);
  writeFileSync(testFile, 'label,f0\n1,0.5\n');
  const fill = async (name, value) => {
    await page.$eval(`#post [name="${name}"]`, (el) => {
      el.value = '';
    });
    await page.type(`#post [name="${name}"]`, value);
  };
  await fill('uri', 'http://127.0.0.1:8000/blob/train');
  await fill('hash', `0x${'ab'.repeat(32)}`);
  await fill('samples', '1437');
  await fill('features', '64');
  await fill('testSamples', '360');
  const input = await page.$('#post [name="testfile"]');
  await input.uploadFile(testFile);
  await page.waitForFunction(() => document.querySelector('#post output').textContent.includes('blake2-256'));
  await fill('bounty', '1000000000');
  await page.click('#post button[type=submit]');
  await wait('#error');
  const refused = await text('#error');
  check('a bounty above the balance shows taskRegistry.InsufficientBalance with its docs', refused.includes('taskRegistry.InsufficientBalance') && refused.includes('cannot cover the bounty'), refused);
  await shot('post-refused');
  // A refusal by the chain itself (the dispatch error's name and docs from the metadata): a
  // quorum larger than the evaluator pool.
  await fill('bounty', '2');
  await fill('quorum', '5');
  await page.click('#post button[type=submit]');
  await wait('#error', 120000);
  const chainRefused = await text('#error');
  check('a quorum the pool cannot fill shows the chain\'s taskRegistry.NotEnoughEvaluators with its docs', chainRefused.includes('taskRegistry.NotEnoughEvaluators') && chainRefused.includes('eligible'), chainRefused);
  await fill('quorum', '3');
  await fill('bounty', '2');
  await page.click('#post button[type=submit]');
  await wait('#created, #error', 120000);
  const created = await text('#result');
  const id = /Task #(\d+) created/.exec(created)?.[1];
  check('a task posted with the dev account //Alice is created', id !== undefined, created);
  await shot('post-created');
  if (id !== undefined) {
    await page.goto(`${base}#/tasks`);
    await wait(`tr[data-task="${id}"]`);
    const newRow = await text(`tr[data-task="${id}"]`);
    check(`the task list shows the new task #${id}, open`, newRow.includes('Open') && newRow.includes('2 POUW'), newRow);
  }

  // A phone's width: nothing wider than the screen but the tables' own scroll areas.
  await page.setViewport({ width: 390, height: 844, isMobile: true });
  await page.goto(`${base}#/task/${taskId}`);
  await wait('#payout');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - 390);
  check('at a phone\'s width the page does not scroll sideways', overflow <= 1, `${overflow} px too wide`);
  await shot('task-phone');
} catch (e) {
  check('the browser test ran to its end', false, e.message);
  await shot('failure').catch(() => {});
}
check('no script error on any page', errors.length === 0, errors.join('; '));
await browser.close();
server.close();
console.log(`[dashboard] screenshots in ${shots}`);
console.log(`dashboard: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
