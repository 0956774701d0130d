#!/usr/bin/env bash
# The load run: a dev node, sponsors posting many tasks at once (16 each, the runtime's cap per
# sponsor), and workers and evaluators as separate `pouw` processes, on the digits data with a
# small model. It waits until every task has ended, stops the daemons, and prints what each
# daemon cost and how the tasks went.
#
#   ./scripts/load.sh                                     200 tasks, 20 workers, 10 evaluators
#   ./scripts/load.sh --tasks 32 --workers 6 --evaluators 5
#   ./scripts/load.sh ... --phase-blocks 20,10,10,10,10   phase lengths (open, reveal, test
#                                                         reveal, score commit, score reveal)
#   ./scripts/load.sh ... --poll 2                        the daemons' look interval, seconds
#   ./scripts/load.sh ... --block-ms 3000                 the dev node's block time (its default;
#                                                         at 1000 a loaded debug node falls behind
#                                                         and then seals the missed blocks in a
#                                                         burst, so a 20-block window lasted 10 s)
#   ./scripts/load.sh ... --release                       the node's operators' build
#                                                         (build-node.sh --release)
#
# Printed: tasks created and settled (with their endings), the largest lag in blocks between a
# window opening and a daemon acting in it, the windows a daemon missed, per daemon its reads
# of the node per block (`pouw`'s client reads: each two or three JSON-RPC requests), peak RSS
# and CPU seconds, and the CPU seconds of the node, the workers, the evaluators and the servers.
# Accounts //load-sponsor-N, //load-worker-N, //load-evaluator-N are funded by //Alice.
# Run folder: $POUW_CACHE/load/<time>.
set -euo pipefail
# shellcheck disable=SC1091
source "$(dirname "${BASH_SOURCE[0]}")/lib/help.sh"
help_and_exit_if_asked "$0" "$@"
TASKS=200
WORKERS=20
EVALUATORS=10
PHASES=20,10,10,10,10
POLL=2
BLOCK_MS=3000
NODE_PROFILE=debug
while [ $# -gt 0 ]; do
	case "$1" in
	--tasks | --workers | --evaluators | --phase-blocks | --poll | --block-ms)
		[ $# -ge 2 ] || {
			echo "load.sh: $1 needs a value" >&2
			exit 2
		}
		case "$1" in
		--tasks) TASKS=$2 ;;
		--workers) WORKERS=$2 ;;
		--evaluators) EVALUATORS=$2 ;;
		--phase-blocks) PHASES=$2 ;;
		--poll) POLL=$2 ;;
		--block-ms) BLOCK_MS=$2 ;;
		esac
		shift 2
		;;
	--release)
		NODE_PROFILE=release
		shift
		;;
	*)
		echo "load.sh: unknown argument '$1' (see --help)" >&2
		exit 2
		;;
	esac
done
for n in "$TASKS" "$WORKERS" "$EVALUATORS" "$BLOCK_MS"; do
	[[ "$n" =~ ^[1-9][0-9]*$ ]] || {
		echo "load.sh: --tasks, --workers, --evaluators and --block-ms take positive numbers, not '$n'" >&2
		exit 2
	}
done
[ "$EVALUATORS" -ge 3 ] || {
	echo "load.sh: a quorum is 3: --evaluators must be at least 3" >&2
	exit 2
}
PER_SPONSOR=16
SPONSORS=$(((TASKS + PER_SPONSOR - 1) / PER_SPONSOR))

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
started=$(date +%s)
"$ROOT/scripts/setup.sh" >/dev/null
# shellcheck disable=SC1090,SC1091
source "${POUW_ENV_FILE:-${POUW_CACHE:-$HOME/.cache/pouw}/env}"
RUN="$POUW_CACHE/load/$(date +%Y%m%d-%H%M%S)"
LOGS="$RUN/logs"
mkdir -p "$LOGS"
echo "[load] $TASKS tasks from $SPONSORS sponsors, $WORKERS workers, $EVALUATORS evaluators; run folder $RUN"

if [ "$NODE_PROFILE" = release ]; then
	"$ROOT/scripts/build-node.sh" --release 2>&1 | tail -n 1
else
	"$ROOT/scripts/build-node.sh" 2>&1 | tail -n 1
fi
cargo build --locked --release --manifest-path "$ROOT/worker/Cargo.toml" 2>&1 | tail -n 1
NODE="$CARGO_TARGET_DIR/$NODE_PROFILE/pouw-node"
POUW="$CARGO_TARGET_DIR/release/pouw"
[ -d "$ROOT/scripts/js/node_modules" ] || (cd "$ROOT/scripts/js" && npm ci --no-audit --no-fund >/dev/null)
DATA="$POUW_CACHE/data/digits"
POUW_BIN="$POUW" "$ROOT/scripts/lib/prepare-demo-data.sh" "$DATA" >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RPC_PORT=$(free_port)
export POUW_URL="ws://127.0.0.1:$RPC_PORT"
pids=()
names=()
cleanup() {
	local code=$?
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	echo "[load] logs: $LOGS"
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
wait_for() { # seconds, what, command...
	local deadline=$(($(date +%s) + $1)) what=$2
	shift 2
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$deadline" ] || {
			echo "[load] timed out waiting for $what" >&2
			exit 1
		}
		sleep 1
	done
}

spawn node "$NODE" --dev --dev-block-time "$BLOCK_MS" --base-path "$RUN/node" --rpc-port "$RPC_PORT" \
	--state-pruning archive --no-prometheus --no-telemetry --name pouw-load --rpc-max-connections 1000
wait_for 300 "the node" "$POUW" status
first_block=$(node "$ROOT/scripts/js/load.mjs" block --url "$POUW_URL")

suris=()
for i in $(seq 1 "$SPONSORS"); do suris+=("//load-sponsor-$i"); done
node "$ROOT/scripts/js/load.mjs" fund --url "$POUW_URL" --from //Alice --amount 2000 "${suris[@]}"
suris=()
for i in $(seq 1 "$EVALUATORS"); do suris+=("//load-evaluator-$i"); done
for i in $(seq 1 "$WORKERS"); do suris+=("//load-worker-$i"); done
node "$ROOT/scripts/js/load.mjs" fund --url "$POUW_URL" --from //Alice --amount 5000 "${suris[@]}"

# Enough stake for a seat in every task at once (the runtime locks the minimum, 10 units, a seat).
STAKE=$((10 * TASKS + 10))
for i in $(seq 1 "$EVALUATORS"); do
	spawn "evaluator-$i" "$POUW" evaluator run --suri "//load-evaluator-$i" --data-dir "$RUN/evaluator-$i" \
		--stake "$STAKE" --allow-private-hosts --poll "$POLL"
done
for i in $(seq 1 "$EVALUATORS"); do
	wait_for 300 "evaluator $i to register" grep -q registered "$LOGS/evaluator-$i.log"
done
for i in $(seq 1 "$WORKERS"); do
	spawn "worker-$i" "$POUW" worker run --suri "//load-worker-$i" --data-dir "$RUN/worker-$i" \
		--listen "127.0.0.1:$(free_port)" --allow-private-hosts --poll "$POLL" \
		--epochs 2 --seed "$i" --keep-checkpoints 0
done

# Each sponsor serves its store and posts its tasks one after another, watching them meanwhile.
echo "[load] posting $TASKS tasks"
t_post=$(date +%s)
sponsor_pids=()
for s in $(seq 1 "$SPONSORS"); do
	port=$(free_port)
	dir="$RUN/sponsor-$s"
	mkdir -p "$dir/blobs"
	spawn "serve-$s" "$POUW" serve --dir "$dir/blobs" --addr "127.0.0.1:$port"
	count=$PER_SPONSOR
	[ "$s" -lt "$SPONSORS" ] || count=$((TASKS - PER_SPONSOR * (SPONSORS - 1)))
	(
		# The watch starts with the first task and follows those posted after it (each
		# sponsor posts for longer than a task's first phases last). A task that cannot be
		# posted stops this sponsor's posting, never the watch of those it posted.
		watcher=
		for _ in $(seq 1 "$count"); do
			"$POUW" sponsor create --suri "//load-sponsor-$s" --data-dir "$dir" \
				--public-url "http://127.0.0.1:$port" --train "$DATA/train.csv" --test "$DATA/test.csv" \
				--classes 10 --model mlp:16:relu --metric accuracy --bounty 10 --quorum 3 \
				--phase-blocks "$PHASES" || {
				echo "[load] sponsor $s: a task could not be posted; watching those posted"
				break
			}
			if [ -z "$watcher" ]; then
				"$POUW" sponsor watch --all --suri "//load-sponsor-$s" --data-dir "$dir" \
					--public-url "http://127.0.0.1:$port" --poll "$POLL" &
				watcher=$!
			fi
		done
		[ -z "$watcher" ] || wait "$watcher"
	) >"$LOGS/sponsor-$s.log" 2>&1 &
	pids+=($!)
	names+=("sponsor-$s")
	sponsor_pids+=($!)
done
# The sponsors exit once their tasks have ended (non-zero if one ended other than Finalized).
for pid in "${sponsor_pids[@]}"; do wait "$pid" || true; done
posted=$(cat "$LOGS"/sponsor-*.log | grep -c '^{"task":[0-9]*}$' || true)
echo "[load] $posted tasks posted; all ended $(($(date +%s) - t_post)) s after the first was posted"
last_block=$(node "$ROOT/scripts/js/load.mjs" block --url "$POUW_URL")

# Peak memory, then a clean stop: each daemon prints its reads of the node as it exits.
declare -A rss cpu
ticks=$(getconf CLK_TCK)
for i in "${!pids[@]}"; do
	# CPU seconds so far (user + system, from /proc/PID/stat), of every process still running.
	cpu[${names[$i]}]=$(awk -v t="$ticks" '{ sub(/^.*\) /, ""); printf "%.1f", ($12 + $13) / t }' \
		"/proc/${pids[$i]}/stat" 2>/dev/null || echo 0)
	case "${names[$i]}" in
	worker-* | evaluator-*)
		rss[${names[$i]}]=$(awk '/VmHWM/ {print $2}' "/proc/${pids[$i]}/status" 2>/dev/null || echo 0)
		kill -INT "${pids[$i]}" 2>/dev/null || true
		;;
	esac
done
for i in "${!pids[@]}"; do
	case "${names[$i]}" in worker-* | evaluator-*) wait "${pids[$i]}" 2>/dev/null || true ;; esac
done

report=$(node "$ROOT/scripts/js/load.mjs" report --url "$POUW_URL" --from-block "$first_block" --to-block "$last_block")
echo "$report" >"$RUN/report.json"
python3 - "$RUN/report.json" "$LOGS" <<EOF
import glob, json, os, sys
report = json.load(open(sys.argv[1]))
rss = {$(for k in "${!rss[@]}"; do printf '"%s": %s, ' "$k" "${rss[$k]:-0}"; done)}
cpu = {$(for k in "${!cpu[@]}"; do printf '"%s": %s, ' "$k" "${cpu[$k]:-0}"; done)}
print(f"[load] blocks {report['blocks'][0]}..{report['blocks'][1]}: {report['tasks_created']} tasks created, {report['tasks_settled']} settled {report['endings']}, at most {report['max_in_flight']} in flight at once")
print(f"[load] worker commitments {report['worker_commitments']}, reveals missed {report['worker_reveals_missed']}; quorum seats {report['quorum_seats']}, evaluator windows missed {report['evaluator_windows_missed']}, evaluators penalised {report['evaluators_penalised']}")
print("[load] largest lag, blocks: " + ", ".join(f"{k} {v}" for k, v in report['max_lag_blocks'].items()))
classes = {}
for name, seconds in cpu.items():
    kind = name.split('-')[0]
    classes[kind] = classes.get(kind, 0.0) + seconds
print("[load] CPU seconds by process kind: " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(classes.items(), key=lambda kv: -kv[1])))
print(f"{'daemon':<14} {'reads':>8} {'blocks':>7} {'reads/block':>12} {'peak RSS MiB':>13} {'CPU s':>7}")
rows = []
for log in sorted(glob.glob(os.path.join(sys.argv[2], '*.log'))):
    name = os.path.basename(log)[:-4]
    if not name.startswith(('worker-', 'evaluator-')):
        continue
    line = [l for l in open(log) if l.startswith('{') and '"role"' in l]
    if not line:
        print(f"{name:<14} (no figures: it did not stop cleanly)")
        continue
    figures = json.loads(line[-1])
    per = figures['reads'] / figures['blocks'] if figures.get('blocks') else float('nan')
    rows.append(per)
    print(f"{name:<14} {figures['reads']:>8} {figures['blocks'] or 0:>7} {per:>12.2f} {int(rss.get(name, 0)) / 1024:>13.1f} {cpu.get(name, 0):>7.1f}")
EOF
echo "[load] done in $(($(date +%s) - started)) s"
