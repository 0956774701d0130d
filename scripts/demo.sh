#!/usr/bin/env bash
# The main job: one real task from post to payout on a local dev chain.
#
# Set-up, builds (pouw-node and the `pouw` binary, reused on a second run), the real data set
# (UCI handwritten digits from scikit-learn's wheel), a fresh dev node (omni-node dev mode, a
# block a second), then as separate processes: three evaluators (//Dave, //Eve, //Ferdie)
# that register with a stake, two workers with different hyperparameters (//Bob: the defaults,
# //Charlie: two epochs at a small learning rate) each serving its weights over HTTP, and the
# sponsor (//Alice) who posts the task with a 100-unit bounty, serves the training data and
# reveals the secret test set when its window opens. The script waits until the task has ended
# and prints the table: scores per evaluator, medians, winner, payouts, balances and reputation
# before and after, blocks and seconds per phase. It stops everything it started.
#
#   ./scripts/demo.sh                  run it (logs in ~/.cache/pouw/demo/<time>/logs)
#   ./scripts/demo.sh --task fashion   the same loop on Fashion-MNIST (60,000 training and 10,000
#                                      test images from Debian's dataset-fashion-mnist) with a CNN
#                                      (cnn:1x28x28:16k3p2,32k3p2:128:relu); the workers train for
#                                      minutes, so the task's first window is longer
#   POUW_DEMO_DIR=/path ./scripts/demo.sh   keep the run's chain, data and logs there
#   POUW_DEMO_KEEP_NODE=1 ...          leave the dev node running at the end (for polkadot.js)
#   POUW_DEMO_SPONSOR=js ...           the sponsor is the @polkadot/api dApp example
#                                      (scripts/js/sponsor-task.mjs) instead of `pouw sponsor`
#   POUW_DEMO_FAULT=1 ...              kill //Bob's worker (SIGKILL) right after it commits and
#                                      start it again: it must still reveal (the fault test); then
#                                      stop the node and start it again on the same chain: every
#                                      role must reconnect and carry on
#   POUW_DEMO_URL=ws://host:port ...   run the task on a chain that is already running (for
#                                      example a zombienet collator: scripts/zombienet.sh --demo)
#                                      instead of starting a dev node
#   POUW_DEMO_PHASES=15,8,8,8,8 ...    the task's phase lengths in blocks (open, reveal, test reveal,
#                                      score commit, score reveal)
#   POUW_DEMO_RPC_PORT=9944 ...        the dev node's RPC port (default: a free one)
set -euo pipefail
# shellcheck disable=SC1091
source "$(dirname "${BASH_SOURCE[0]}")/lib/help.sh"
help_and_exit_if_asked "$0" "$@"
TASK=digits
while [ $# -gt 0 ]; do
	case "$1" in
	--task)
		TASK="${2:-}"
		shift 2 || true
		;;
	--task=*)
		TASK="${1#--task=}"
		shift
		;;
	*)
		echo "demo.sh: unknown argument '$1' (see --help)" >&2
		exit 2
		;;
	esac
done
case "$TASK" in
digits | fashion) ;;
*)
	echo "demo.sh: --task is digits or fashion, not '$TASK'" >&2
	exit 2
	;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
started=$(date +%s)
"$ROOT/scripts/setup.sh"
# shellcheck disable=SC1090,SC1091
source "${POUW_ENV_FILE:-${POUW_CACHE:-$HOME/.cache/pouw}/env}"

RUN="${POUW_DEMO_DIR:-$POUW_CACHE/demo/$(date +%Y%m%d-%H%M%S)}"
LOGS="$RUN/logs"
mkdir -p "$LOGS"
echo "[demo] run folder $RUN"

# --- builds ---------------------------------------------------------------------------------
t0=$(date +%s)
if [ -n "${POUW_DEMO_URL:-}" ] && [ -n "${POUW_DEMO_FAULT:-}" ]; then
	echo "[demo] POUW_DEMO_FAULT restarts the node the demo started: not with POUW_DEMO_URL" >&2
	exit 2
fi
if [ -z "${POUW_DEMO_URL:-}" ]; then
	if [ ! -x "$CARGO_TARGET_DIR/debug/pouw-node" ]; then
		echo "[demo] building pouw-node: a cold build takes about 35 minutes on 2 cores (docs/measurements.md)"
	fi
	"$ROOT/scripts/build-node.sh" 2>&1 | tail -n 3
fi
if [ ! -x "$CARGO_TARGET_DIR/release/pouw" ]; then
	echo "[demo] building pouw (release): a cold build takes 10 to 20 minutes on 2 cores"
fi
cargo build --locked --release --manifest-path "$ROOT/worker/Cargo.toml" 2>&1 | tail -n 1
echo "[demo] builds ready in $(($(date +%s) - t0)) s"
NODE="$CARGO_TARGET_DIR/debug/pouw-node"
POUW="$CARGO_TARGET_DIR/release/pouw"

# --- data -----------------------------------------------------------------------------------
if [ "$TASK" = fashion ]; then
	DATA="$POUW_CACHE/data/fashion"
	"$ROOT/scripts/lib/prepare-fashion-data.sh" "$DATA" >"$LOGS/data.json"
	TRAIN="$DATA/train.safetensors"
	TEST="$DATA/test.safetensors"
	# Two convolutions, a dense layer of 128, ten outputs: 206,922 parameters.
	MODEL="cnn:1x28x28:16k3p2,32k3p2:128:relu"
	# //Bob: eight epochs at Adam's usual rate, cosine schedule (90.56 % on the test set, 6 min
	# 15 s of training alone on 2 cores); //Charlie: one epoch at a small rate.
	BOB_HYPER=(--epochs 8 --batch-size 64 --lr 0.001 --lr-schedule cosine --validation-fraction 0.05)
	CHARLIE_HYPER=(--epochs 1 --batch-size 64 --lr 0.0002 --validation-fraction 0.05)
	DEFAULT_PHASES="900,20,20,60,30"
else
	DATA="$POUW_CACHE/data/digits"
	POUW_BIN="$POUW" "$ROOT/scripts/lib/prepare-demo-data.sh" "$DATA" >"$LOGS/data.json"
	TRAIN="$DATA/train.csv"
	TEST="$DATA/test.csv"
	MODEL="mlp:64,32:relu"
	BOB_HYPER=()
	CHARLIE_HYPER=(--epochs 2 --lr 0.0005)
	DEFAULT_PHASES="15,8,8,8,8"
fi
echo "[demo] data: $(tr -d '\n' <"$LOGS/data.json" | cut -c1-160)…"

# --- processes ------------------------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RPC_PORT="${POUW_DEMO_RPC_PORT:-$(free_port)}"
export POUW_URL="${POUW_DEMO_URL:-ws://127.0.0.1:$RPC_PORT}"
pids=()
names=()
cleanup() {
	local code=$?
	local stopped=()
	for i in "${!pids[@]}"; do
		if [ "${names[$i]}" = node ] && [ -n "${POUW_DEMO_KEEP_NODE:-}" ] && [ "$code" -eq 0 ]; then
			echo "[demo] the dev node keeps running on $POUW_URL (pid ${pids[$i]})"
			continue
		fi
		kill "${pids[$i]}" 2>/dev/null || true
		stopped+=("${pids[$i]}")
	done
	# Only the processes stopped here: a plain `wait` would wait for the node kept running.
	[ "${#stopped[@]}" -eq 0 ] || wait "${stopped[@]}" 2>/dev/null || true
	echo "[demo] logs: $LOGS"
	exit "$code"
}
trap cleanup EXIT INT TERM
spawn() {
	local name=$1
	shift
	"$@" >"$LOGS/$name.log" 2>&1 &
	pids+=($!)
	names+=("$name")
}

# Waits until the chain at $POUW_URL answers, at most $1 seconds; with a pid as $2, fails at once
# (showing the node's log) if that process stops.
wait_for_chain() {
	local deadline=$(($(date +%s) + $1)) pid="${2:-}"
	until "$POUW" status >/dev/null 2>&1; do
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			echo "[demo] the node stopped; its log:" >&2
			tail -n 30 "$LOGS/node.log" >&2
			exit 1
		fi
		if [ "$(date +%s)" -gt "$deadline" ]; then
			echo "[demo] no chain answered on $POUW_URL within $1 s" >&2
			exit 1
		fi
		sleep 1
	done
}
start_node() {
	echo "[demo] starting the dev node on $POUW_URL"
	local t0
	t0=$(date +%s)
	# Archive: `pouw status` reads every block's events since the task began (fees, payout),
	# and a long task (--task fashion: over 1,000 blocks) outlives the default 256 blocks.
	spawn node "$NODE" --dev --dev-block-time 1000 --base-path "$RUN/node" --rpc-port "$RPC_PORT" \
		--state-pruning archive --no-prometheus --no-telemetry --name pouw-demo
	node_index=$((${#pids[@]} - 1))
	wait_for_chain 600 "${pids[$node_index]}"
	echo "[demo] node up after $(($(date +%s) - t0)) s"
}
if [ -n "${POUW_DEMO_URL:-}" ]; then
	wait_for_chain 120
	echo "[demo] using the running chain at $POUW_URL"
else
	start_node
fi

ACCOUNTS=(//Alice //Bob //Charlie //Dave //Eve //Ferdie)
"$POUW" accounts --json "${ACCOUNTS[@]}" >"$RUN/before.json"

for who in Dave Eve Ferdie; do
	# Everything runs on this machine: the daemons may fetch from loopback (refused by default).
	spawn "evaluator-$who" "$POUW" evaluator run --suri "//$who" --data-dir "$RUN/$who" \
		--stake 10 --tasks 1 --allow-private-hosts
done
# A task whose quorum the pool cannot fill yet is refused (NotEnoughEvaluators): the sponsor
# posts once the three evaluators are registered.
deadline=$(($(date +%s) + 180))
for who in Dave Eve Ferdie; do
	until grep -q "registered" "$LOGS/evaluator-$who.log"; do
		if [ "$(date +%s)" -gt "$deadline" ]; then
			echo "[demo] //$who did not register as an evaluator:" >&2
			tail -n 20 "$LOGS/evaluator-$who.log" >&2
			exit 1
		fi
		sleep 0.5
	done
done
BOB_PORT=$(free_port)
CHARLIE_PORT=$(free_port)
SPONSOR_PORT=$(free_port)
BOB=("$POUW" worker run --suri //Bob --data-dir "$RUN/Bob" --listen "127.0.0.1:$BOB_PORT" --tasks 1
	--allow-private-hosts "${BOB_HYPER[@]}")
spawn worker-Bob "${BOB[@]}"
spawn worker-Charlie "$POUW" worker run --suri //Charlie --data-dir "$RUN/Charlie" \
	--listen "127.0.0.1:$CHARLIE_PORT" "${CHARLIE_HYPER[@]}" --tasks 1 --allow-private-hosts
PHASES="${POUW_DEMO_PHASES:-$DEFAULT_PHASES}"
if [ "${POUW_DEMO_SPONSOR:-pouw}" = js ] && [ "$TASK" != digits ]; then
	echo "[demo] the JavaScript sponsor posts CSV tasks only: use it with --task digits" >&2
	exit 2
fi
if [ "${POUW_DEMO_SPONSOR:-pouw}" = js ]; then
	[ -d "$ROOT/scripts/js/node_modules" ] || (cd "$ROOT/scripts/js" && npm ci --no-audit --no-fund >/dev/null)
	spawn sponsor-Alice node "$ROOT/scripts/js/sponsor-task.mjs" --url "$POUW_URL" --suri //Alice \
		--port "$SPONSOR_PORT" --train "$TRAIN" --test "$TEST" --classes 10 \
		--bounty 100 --phase-blocks "$PHASES"
else
	spawn sponsor-Alice "$POUW" sponsor create --suri //Alice --data-dir "$RUN/Alice" \
		--listen "127.0.0.1:$SPONSOR_PORT" --train "$TRAIN" --test "$TEST" \
		--classes 10 --model "$MODEL" --metric accuracy --bounty 100 --quorum 3 \
		--phase-blocks "$PHASES" --watch
fi

# The sponsor prints {"task": N} once the task is on chain.
task=""
deadline=$(($(date +%s) + 120))
while [ -z "$task" ]; do
	task=$(sed -n 's/^{"task":\([0-9]*\)}$/\1/p' "$LOGS/sponsor-Alice.log" | head -n1)
	if [ -z "$task" ]; then
		if ! kill -0 "${pids[-1]}" 2>/dev/null || [ "$(date +%s)" -gt "$deadline" ]; then
			echo "[demo] the sponsor could not post the task:" >&2
			tail -n 20 "$LOGS/sponsor-Alice.log" >&2
			exit 1
		fi
		sleep 1
	fi
done
echo "[demo] task $task posted; following it to the end"
if [ -n "${POUW_DEMO_FAULT:-}" ]; then
	deadline=$(($(date +%s) + 300))
	until grep -q "model committed" "$LOGS/worker-Bob.log"; do
		[ "$(date +%s)" -lt "$deadline" ] || { echo "[demo] //Bob never committed" >&2; exit 1; }
		sleep 0.2
	done
	for i in "${!names[@]}"; do
		if [ "${names[$i]}" = worker-Bob ]; then
			kill -9 "${pids[$i]}"
			wait "${pids[$i]}" 2>/dev/null || true
			names[$i]=killed
		fi
	done
	echo "[demo] fault: killed //Bob's worker (SIGKILL) after its commit; starting it again"
	spawn worker-Bob-restarted "${BOB[@]}"
	sleep 3
	echo "[demo] fault: stopping the node; every role must reconnect once it is back"
	kill -INT "${pids[$node_index]}"
	wait "${pids[$node_index]}" 2>/dev/null || true
	names[$node_index]=stopped-node
	mv "$LOGS/node.log" "$LOGS/node-before-restart.log"
	start_node
fi
# The task's blocks (a block a second on the dev chain), its appeal window and room to spare.
IFS=',' read -r -a phase_blocks <<<"$PHASES"
wait_s=600
for b in "${phase_blocks[@]}"; do wait_s=$((wait_s + b)); done
"$POUW" status "$task" --wait "$wait_s" --before "$RUN/before.json" | tee "$RUN/result.txt"
"$POUW" status "$task" --json --before "$RUN/before.json" >"$RUN/result.json"

# A task that did not end Finalized may have ended before the evaluators were drawn, and they
# would wait for a task forever: stop here (the exit stops every process started).
if ! grep -q '"status": "Finalized"' "$RUN/result.json"; then
	echo "[demo] the task did not end Finalized (see $RUN/result.json)" >&2
	exit 1
fi
# Every role exits by itself once the task has ended (--tasks 1 / --watch).
for i in "${!pids[@]}"; do
	case "${names[$i]}" in node | killed | stopped-node) continue ;; esac
	if ! wait "${pids[$i]}"; then
		echo "[demo] ${names[$i]} failed; its log ends:" >&2
		tail -n 15 "$LOGS/${names[$i]}.log" >&2
		exit 1
	fi
done
echo "[demo] done in $(($(date +%s) - started)) s: task $task finalized, winner paid (details: $RUN/result.json)"
