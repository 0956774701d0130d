#!/usr/bin/env bash
# Training and evaluation throughput of the demo MLP (64-64-32-10 on the UCI digits training
# split) on burn's CPU backends, side by side with PyTorch CPU on the same data, model, optimiser,
# batch size and thread count. PyTorch comes from PyPI into a venv under ~/.cache/pouw
# (a large download the first time). Prints one JSON line per run, then a table.
#
#   ./bench/run.sh [--threads N] [--epochs N] [--batch-size N] [--backends flex[,ndarray]]
#
# With `ndarray` the script builds pouw with that feature in its own target dir (a long build).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
THREADS="$(nproc)"
EPOCHS=5
BATCH=64
BACKENDS="flex"
HIDDEN="64,32"
while [ $# -gt 0 ]; do
	case "$1" in
	--threads) THREADS="$2"; shift 2 ;;
	--epochs) EPOCHS="$2"; shift 2 ;;
	--batch-size) BATCH="$2"; shift 2 ;;
	--backends) BACKENDS="$2"; shift 2 ;;
	-h | --help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench: unknown argument $1" >&2; exit 2 ;;
	esac
done

"$ROOT/scripts/setup.sh" >/dev/null 2>&1 || "$ROOT/scripts/setup.sh"
# shellcheck disable=SC1090,SC1091
source "${POUW_ENV_FILE:-${POUW_CACHE:-$HOME/.cache/pouw}/env}"
if [[ ",$BACKENDS," == *",ndarray,"* ]]; then
	# The ndarray backend is a cargo feature; its own target dir keeps the everyday build as is.
	BENCH_TARGET="$CARGO_TARGET_DIR/bench"
	cargo build --release --locked -q --manifest-path "$ROOT/worker/Cargo.toml" --features ndarray \
		--target-dir "$BENCH_TARGET"
	POUW="$BENCH_TARGET/release/pouw"
else
	cargo build --release --locked -q --manifest-path "$ROOT/worker/Cargo.toml"
	POUW="$CARGO_TARGET_DIR/release/pouw"
fi
DATA_DIR="$POUW_CACHE/data/digits"
[ -f "$DATA_DIR/train.csv" ] || POUW_BIN="$POUW" "$ROOT/scripts/lib/prepare-demo-data.sh" "$DATA_DIR" >/dev/null

VENV="$POUW_CACHE/bench-venv"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import torch, numpy' 2>/dev/null; then
	echo "[bench] installing torch and numpy from PyPI into $VENV (several GB the first time)" >&2
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q torch==2.15.0 numpy
fi

results="$(mktemp)"
trap 'rm -f "$results"' EXIT
IFS=',' read -r -a backends <<<"$BACKENDS"
for b in "${backends[@]}"; do
	RAYON_NUM_THREADS="$THREADS" "$POUW" bench --data "$DATA_DIR/train.csv" --classes 10 \
		--model "mlp:$HIDDEN:relu" --backends "$b" --epochs "$EPOCHS" --batch-size "$BATCH" | tee -a "$results"
done
OMP_NUM_THREADS="$THREADS" "$VENV/bin/python" "$ROOT/bench/torch_bench.py" --data "$DATA_DIR/train.csv" \
	--hidden "$HIDDEN" --epochs "$EPOCHS" --batch-size "$BATCH" --threads "$THREADS" | tee -a "$results"

python3 - "$results" "$THREADS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
torch = next(r for r in rows if r["backend"].startswith("pytorch"))
print(f"\nMLP 64-64-32-10, {torch['samples']} samples, batch {torch['batch_size']}, {sys.argv[2]} threads")
print(f"{'backend':<24}{'train samples/s':>16}{'vs torch':>10}{'eval samples/s':>16}{'vs torch':>10}{'peak RSS MiB':>14}")
for r in rows:
    t = r["train_samples_per_second"]; e = r["eval_samples_per_second"]
    print(f"{r['backend']:<24}{t:>16,.0f}{t / torch['train_samples_per_second']:>9.2f}x"
          f"{e:>16,.0f}{e / torch['eval_samples_per_second']:>9.2f}x{(r.get('peak_rss_kib') or 0) / 1024:>14.0f}")
PY
