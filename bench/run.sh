#!/usr/bin/env bash
# Training and evaluation throughput of pouw (burn's CPU backends) side by side with PyTorch CPU
# on the same data, model, optimiser (Adam 1e-3), batch size and thread count, on three
# workloads: the demo MLP on the UCI digits (`digits`), an MLP 784-256-128-10 on Fashion-MNIST
# (`fashion-mlp`) and the demo's CNN on Fashion-MNIST (`fashion-cnn`, scored on the 10,000 test
# images). PyTorch comes from PyPI into a venv under ~/.cache/pouw (a large download the first
# time). Prints one JSON line per run, then a table per workload: samples/s and the ratio to
# PyTorch, peak RSS, loss and test accuracy after one epoch and after the measured epochs, and
# the verification cost (scoring the test set once / the measured training).
#
#   ./bench/run.sh [--workloads digits,fashion-mlp,fashion-cnn] [--threads N] [--epochs N]
#                  [--batch-size N] [--samples N] [--backends flex[,ndarray]]
#
# --samples limits the Fashion-MNIST training images (12000 by default; 60000 for all).
# With `ndarray` the script builds pouw with that feature in its own target dir (a long build).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
THREADS="$(nproc)"
EPOCHS=2
BATCH=64
SAMPLES=12000
BACKENDS="flex"
WORKLOADS="digits,fashion-mlp,fashion-cnn"
while [ $# -gt 0 ]; do
	case "$1" in
	--threads) THREADS="$2"; shift 2 ;;
	--epochs) EPOCHS="$2"; shift 2 ;;
	--batch-size) BATCH="$2"; shift 2 ;;
	--samples) SAMPLES="$2"; shift 2 ;;
	--backends) BACKENDS="$2"; shift 2 ;;
	--workloads) WORKLOADS="$2"; shift 2 ;;
	-h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
IFS=',' read -r -a workloads <<<"$WORKLOADS"
FASHION="$POUW_CACHE/data/fashion"
for w in "${workloads[@]}"; do
	case "$w" in
	digits) args=(--data "$DATA_DIR/train.csv" --model "mlp:64,32:relu") ;;
	fashion-mlp | fashion-cnn)
		[ -f "$FASHION/train.safetensors" ] || "$ROOT/scripts/lib/prepare-fashion-data.sh" "$FASHION" >/dev/null
		model="mlp:256,128:relu"
		[ "$w" = fashion-cnn ] && model="cnn:1x28x28:16k3p2,32k3p2:128:relu"
		args=(--data "$FASHION/train.safetensors" --test "$FASHION/test.safetensors" --samples "$SAMPLES" --model "$model")
		;;
	*) echo "bench: unknown workload $w" >&2; exit 2 ;;
	esac
	for b in "${backends[@]}"; do
		RAYON_NUM_THREADS="$THREADS" "$POUW" bench "${args[@]}" --classes 10 --backends "$b" \
			--epochs "$EPOCHS" --batch-size "$BATCH" | sed "s/^{/{\"workload\":\"$w\",/" | tee -a "$results"
	done
	OMP_NUM_THREADS="$THREADS" "$VENV/bin/python" "$ROOT/bench/torch_bench.py" "${args[@]}" \
		--epochs "$EPOCHS" --batch-size "$BATCH" --threads "$THREADS" | sed "s/^{/{\"workload\":\"$w\",/" | tee -a "$results"
done

python3 - "$results" "$THREADS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
pct = lambda v: "-" if v is None else f"{v * 100:.2f} %"
for w in dict.fromkeys(r["workload"] for r in rows):
    group = [r for r in rows if r["workload"] == w]
    torch = next(r for r in group if r["backend"].startswith("pytorch"))
    print(f"\n{w}: {torch['model']}, {torch['samples']} training samples, batch {torch['batch_size']}, "
          f"{torch['epochs']} epochs, {sys.argv[2]} threads")
    print(f"{'backend':<22}{'train/s':>10}{'vs torch':>9}{'eval/s':>10}{'vs torch':>9}{'RSS MiB':>8}"
          f"{'loss@1':>8}{'acc@1':>9}{'acc':>9}{'verify':>8}")
    for r in group:
        t, e = r["train_samples_per_second"], r["eval_samples_per_second"]
        print(f"{r['backend']:<22}{t:>10,.0f}{t / torch['train_samples_per_second']:>8.2f}x"
              f"{e:>10,.0f}{e / torch['eval_samples_per_second']:>8.2f}x{(r.get('peak_rss_kib') or 0) / 1024:>8.0f}"
              f"{r['first_epoch_train_loss']:>8.3f}{pct(r.get('test_accuracy_after_one_epoch')):>9}"
              f"{pct(r.get('test_accuracy')):>9}{r['verification_cost'] * 100:>7.2f}%")
PY
