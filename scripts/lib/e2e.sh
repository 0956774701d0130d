#!/usr/bin/env bash
# End-to-end tests on a real dev node with the real `pouw` roles (`scripts/test.sh --e2e`):
#  1. the main job (scripts/demo.sh), asserting the winner, the exact payouts from the runtime's
#     shares (80 % winner, 15 % honest evaluators, the rest to the treasury), every account's
#     balance change to the unit (payouts minus the fees its transactions paid), conservation of
#     funds (the sum of all changes equals the change of total issuance: fees are burned) and the
#     reputation changes;
#  2. the fault test: the same flow with //Bob's worker killed (SIGKILL) right after it commits
#     and started again; it must still reveal, and win. Its sponsor is the @polkadot/api dApp
#     example (scripts/js/sponsor-task.mjs), so the same assertions cover that client too. Then
#     the node is stopped and started again on the same chain: every daemon must reconnect.
#  Between the two, the web dashboard in Debian's chromium (dashboard/test/browser.mjs) against
#  the main job's node, kept running for it: the task list, the task page's winner and 80/15/5
#  split, an account, the evaluators, and the post-a-task form (a refused and a created task);
#  screenshots of each page in ~/.cache/pouw/e2e/<time>/dashboard.
# shellcheck disable=SC1091
source "$(dirname "${BASH_SOURCE[0]}")/help.sh"
help_and_exit_if_asked "$0" "$@"
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$(mktemp -d)"
# The main job's node is kept for the dashboard check: stopped on any exit.
trap 'pkill -f -- "--base-path $WORK/demo/" 2>/dev/null || true; rm -rf "$WORK"' EXIT
passed=0
failed=0

check_run() {
	local dir=$1 label=$2
	if python3 - "$dir/result.json" "$label" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
label = sys.argv[2]
errors = []
def check(cond, what):
    print(f"[e2e] {label}: {'ok  ' if cond else 'FAIL'} {what}")
    if not cond:
        errors.append(what)
UNIT = 10**12
before = {a["label"]: a for a in r["before"]["accounts"]}
after = {a["label"]: a for a in r["after"]["accounts"]}
fees = {k: int(v) for k, v in r["fees"].items()}
total = lambda a: a["balances"]["free"] + a["balances"]["held"]
delta = {k: total(after[k]) - total(before[k]) for k in before}
fee = {k: fees.get(before[k]["address"], 0) for k in before}
bounty = int(r["bounty"])
check(r["status"] == "Finalized", f"task finalized (status {r['status']})")
check(bounty == 100 * UNIT, "bounty of 100 units")
p = r["payout"] or {}
check(p.get("winner") == before["//Bob"]["address"], "//Bob (default hyperparameters) won")
check(p.get("winner_paid") == bounty * 80 // 100, "winner paid 80 % of the bounty")
check(p.get("evaluators_paid") == bounty * 15 // 100, "honest evaluators paid 15 % together")
check(p.get("treasury_paid") == bounty - bounty * 80 // 100 - bounty * 15 // 100, "treasury paid the rest (5 %)")
subs = r["submissions"]
check(len(subs) == 2 and all(s["model_hash"] for s in subs), "both workers revealed")
check(all(s["median"] is not None for s in subs), "every revealed model has a median")
check(len(r["scores"]) == 3, "all three evaluators revealed scores")
check(delta["//Bob"] == p.get("winner_paid", 0) - fee["//Bob"], "//Bob: +winner share - fees, bond returned")
check(delta["//Charlie"] == -fee["//Charlie"], "//Charlie: bond returned, only fees spent")
check(delta["//Alice"] == -bounty - fee["//Alice"], "//Alice: bounty and fees spent")
for e in ("//Dave", "//Eve", "//Ferdie"):
    check(delta[e] == p.get("evaluators_paid", 0) // 3 - fee[e], f"{e}: a third of the evaluator share - fees")
check(delta["treasury"] == p.get("treasury_paid", -1), "treasury: its share")
issuance = r["after"]["total_issuance"] - r["before"]["total_issuance"]
check(sum(delta.values()) == issuance, f"conservation: sum of changes {sum(delta.values())} == issuance change {issuance}")
check(-issuance == sum(fee.values()), "issuance fell by exactly the fees paid")
rep = lambda who, i: (before[who]["reputation"][i], after[who]["reputation"][i])
b, a = rep("//Bob", 0); check(a > b, f"//Bob's worker reputation rose ({b} -> {a})")
b, a = rep("//Charlie", 0); check(a <= b, f"//Charlie's worker reputation did not rise: a valid model, not better than the median ({b} -> {a})")
for e in ("//Dave", "//Eve", "//Ferdie"):
    b, a = rep(e, 1); check(a > b, f"{e}'s evaluator reputation rose ({b} -> {a})")
b, a = rep("//Alice", 2); check(a > b, f"//Alice's sponsor reputation rose ({b} -> {a})")
sys.exit(1 if errors else 0)
PY
	then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The dashboard's browser test against the node at $1, whose task $2 has ended.
dashboard_check() {
	local url=$1 task=$2 shots
	shots="$HOME/.cache/pouw/e2e/$(date +%Y%m%d-%H%M%S)/dashboard"
	if ! command -v chromium >/dev/null; then
		echo "[e2e] installing Debian's chromium for the dashboard's browser test"
		(apt-get update -qq && apt-get install -y -qq chromium) >/dev/null
	fi
	"$ROOT/scripts/dashboard.sh" --build >/dev/null &&
		(cd "$ROOT/dashboard" && node test/browser.mjs "$url" "$task" "$shots")
}

echo "[e2e] 1/2: the main job"
port=$(free_port)
if POUW_DEMO_KEEP_NODE=1 POUW_DEMO_RPC_PORT=$port POUW_DEMO_DIR="$WORK/demo" "$ROOT/scripts/demo.sh"; then
	check_run "$WORK/demo" demo
	echo "[e2e] the web dashboard on the main job's chain"
	task=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["task"])' "$WORK/demo/result.json")
	if dashboard_check "ws://127.0.0.1:$port" "$task"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
else
	failed=$((failed + 1))
fi
pkill -f -- "--base-path $WORK/demo/" 2>/dev/null || true

echo "[e2e] 2/2: fault test (worker killed after its commit, restarted), JS dApp sponsor"
if POUW_DEMO_FAULT=1 POUW_DEMO_SPONSOR=js POUW_DEMO_DIR="$WORK/fault" "$ROOT/scripts/demo.sh"; then
	if grep -q "model revealed" "$WORK/fault/logs/worker-Bob-restarted.log" &&
		! grep -q "model revealed" "$WORK/fault/logs/worker-Bob.log"; then
		echo "[e2e] fault: ok   the restarted worker revealed the commitment of the killed one"
		passed=$((passed + 1))
	else
		echo "[e2e] fault: FAIL the reveal did not come from the restarted worker"
		failed=$((failed + 1))
	fi
	reconnected=0
	for role in worker-Bob-restarted worker-Charlie evaluator-Dave evaluator-Eve evaluator-Ferdie; do
		grep -q "reconnecting" "$WORK/fault/logs/$role.log" && reconnected=$((reconnected + 1))
	done
	if [ "$reconnected" -eq 5 ]; then
		echo "[e2e] fault: ok   all 5 daemons lost the node, reconnected and finished the task"
		passed=$((passed + 1))
	else
		echo "[e2e] fault: FAIL only $reconnected of 5 daemons logged a reconnect"
		failed=$((failed + 1))
	fi
	check_run "$WORK/fault" fault
else
	failed=$((failed + 1))
fi
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
