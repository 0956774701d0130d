#!/usr/bin/env bash
# Training on a GPU through burn's Vulkan backend (SPIR-V kernels through wgpu), for the machine
# lent by the `device` tool, which has no network: everything it needs is prepared here first.
#
#   ./bench/gpu.sh prepare [--samples N]   here: builds `pouw` with `--features vulkan`, strips
#                                          it, and packs it with a Fashion-MNIST subset (N
#                                          training images, 12000 by default; the 10,000 test
#                                          images) and the Vulkan loader's Debian packages into
#                                          .gpu/ (ignored by git; about 25 MB)
#   ./bench/gpu.sh run [--epochs N] [--batch-size N] [--workloads fashion-mlp,fashion-cnn]
#                                          where the GPU is (or here, on Mesa's software Vulkan):
#                                          trains each workload on vulkan and on flex and prints
#                                          samples/s and test accuracy, trains twice on vulkan
#                                          to tell whether two GPU runs give the same weights,
#                                          and scores the GPU-trained weights on flex, as an
#                                          evaluator would
#
# On the lent machine: `run` with carry [".gpu"] and the command `./bench/gpu.sh run`.
# Prints one JSON line per measurement, then a table.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PACK="$ROOT/.gpu"
MODE="${1:-}"
case "$MODE" in -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
[ $# -gt 0 ] && shift
SAMPLES=12000
EPOCHS=2
BATCH=64
WORKLOADS="fashion-mlp,fashion-cnn"
while [ $# -gt 0 ]; do
	case "$1" in
	--samples | --epochs | --batch-size | --workloads)
		[ $# -ge 2 ] || { echo "gpu.sh: $1 needs a value" >&2; exit 2; }
		case "$1" in
		--samples) SAMPLES=$2 ;;
		--epochs) EPOCHS=$2 ;;
		--batch-size) BATCH=$2 ;;
		--workloads) WORKLOADS=$2 ;;
		esac
		shift 2
		;;
	-h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "gpu.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done

prepare() {
	"$ROOT/scripts/setup.sh" >/dev/null 2>&1 || "$ROOT/scripts/setup.sh"
	# shellcheck disable=SC1090,SC1091
	source "${POUW_ENV_FILE:-${POUW_CACHE:-$HOME/.cache/pouw}/env}"
	local target="$CARGO_TARGET_DIR/vulkan"
	echo "[gpu] building pouw with --features vulkan into $target" >&2
	cargo build --release --locked -q --manifest-path "$ROOT/worker/Cargo.toml" --features vulkan \
		--target-dir "$target"
	mkdir -p "$PACK/debs"
	objcopy --strip-debug "$target/release/pouw" "$PACK/pouw"
	local fashion="$POUW_CACHE/data/fashion"
	[ -f "$fashion/train.safetensors" ] || "$ROOT/scripts/lib/prepare-fashion-data.sh" "$fashion" >/dev/null
	python3 - "$fashion" "$PACK" "$SAMPLES" "$ROOT/scripts/lib" <<'PY'
import json, lzma, struct, sys
src, out, n, lib = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
sys.path.insert(0, lib)
from safetensors_writer import serialize  # the project's writer: the demo data's layout

def read(path):
    raw = open(path, "rb").read()
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + size])
    body = raw[8 + size:]
    return {k: (v["dtype"], v["shape"], body[v["data_offsets"][0]:v["data_offsets"][1]])
            for k, v in header.items() if k != "__metadata__"}

for name, limit in (("train", n), ("test", None)):
    t = read(f"{src}/{name}.safetensors")
    rows = t["labels"][1][0] if limit is None else min(limit, t["labels"][1][0])
    per = len(t["features"][2]) // t["labels"][1][0]
    data = serialize({
        "features": ("U8", [rows] + t["features"][1][1:], t["features"][2][:rows * per]),
        "labels": ("U8", [rows], t["labels"][2][:rows]),
    })
    with lzma.open(f"{out}/{name}.safetensors.xz", "wb", preset=6) as z:
        z.write(data)
    print(f"[gpu] {name}: {rows} images", file=sys.stderr)
PY
	xz -f -6 "$PACK/pouw"
	# The Vulkan loader, for a machine that has the NVIDIA driver but not the loader.
	(cd "$PACK/debs" && apt-get download libvulkan1 >/dev/null 2>&1) ||
		echo "[gpu] apt-get download libvulkan1 failed: the machine must have its own loader" >&2
	du -sh "$PACK" >&2
	echo "[gpu] ready: carry .gpu and run ./bench/gpu.sh run" >&2
}

run() {
	work="$(mktemp -d)"
	trap 'rm -rf "$work"' EXIT
	[ -f "$PACK/pouw.xz" ] || { echo "gpu.sh: $PACK/pouw.xz missing: run ./bench/gpu.sh prepare first" >&2; exit 1; }
	python3 - "$PACK" "$work" <<'PY'
import lzma, os, shutil, sys
pack, work = sys.argv[1], sys.argv[2]
for name in ("pouw", "train.safetensors", "test.safetensors"):
    with lzma.open(f"{pack}/{name}.xz") as z, open(f"{work}/{name}", "wb") as f:
        shutil.copyfileobj(z, f)
os.chmod(f"{work}/pouw", 0o755)
PY
	if ! ldconfig -p | grep -q libvulkan.so.1; then
		for f in "$PACK"/debs/*.deb; do [ -f "$f" ] && dpkg -x "$f" /; done
		ldconfig
	fi
	local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
	[ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ] && export VK_DRIVER_FILES="$icd"
	local pouw="$work/pouw" results="$work/results"
	command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >&2
	"$pouw" probe --backend vulkan || { echo "gpu.sh: no Vulkan device runs burn's kernels here (above)" >&2; exit 1; }
	IFS=',' read -r -a workloads <<<"$WORKLOADS"
	for w in "${workloads[@]}"; do
		local model="mlp:256,128:relu"
		[ "$w" = fashion-cnn ] && model="cnn:1x28x28:16k3p2,32k3p2:128:relu"
		local data=(--data "$work/train.safetensors" --classes 10 --model "$model")
		for b in vulkan flex; do
			"$pouw" bench "${data[@]}" --test "$work/test.safetensors" --backends "$b" \
				--epochs "$EPOCHS" --batch-size "$BATCH" | sed "s/^{/{\"workload\":\"$w\",/" | tee -a "$results"
		done
		local hyper=(--epochs "$EPOCHS" --batch-size "$BATCH" --lr 0.001 --validation-fraction 0)
		for i in 1 2; do
			"$pouw" train "${data[@]}" "${hyper[@]}" --backend vulkan --out "$work/$w-$i.weights" >/dev/null
		done
		local a b on_flex on_vulkan
		a="$(sha256sum <"$work/$w-1.weights" | cut -c1-64)"
		b="$(sha256sum <"$work/$w-2.weights" | cut -c1-64)"
		on_flex="$("$pouw" eval --weights "$work/$w-1.weights" --data "$work/test.safetensors" --classes 10 \
			--model "$model" --backend flex --json)"
		on_vulkan="$("$pouw" eval --weights "$work/$w-1.weights" --data "$work/test.safetensors" --classes 10 \
			--model "$model" --backend vulkan --json)"
		printf '{"workload":"%s","check":"gpu runs","same_weights":%s,"hash_1":"%s","hash_2":"%s","eval_flex":%s,"eval_vulkan":%s}\n' \
			"$w" "$([ "$a" = "$b" ] && echo true || echo false)" "$a" "$b" "$on_flex" "$on_vulkan" | tee -a "$results"
	done
	python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(f"\n{'workload':<13}{'backend':<9}{'train/s':>10}{'eval/s':>11}{'acc':>9}")
for r in rows:
    if "check" in r:
        continue
    acc = r.get("test_accuracy")
    print(f"{r['workload']:<13}{r['backend']:<9}{r['train_samples_per_second']:>10,.0f}"
          f"{r['eval_samples_per_second']:>11,.0f}{'-' if acc is None else f'{acc * 100:.2f} %':>9}")
for r in rows:
    if "check" in r:
        print(f"{r['workload']}: two vulkan runs give {'the same' if r['same_weights'] else 'different'} "
              f"weights; the first run's weights score {r['eval_flex']} on flex, {r['eval_vulkan']} on vulkan")
PY
}

case "$MODE" in
prepare) prepare ;;
run) run ;;
*) echo "gpu.sh: prepare or run (see --help)" >&2; exit 2 ;;
esac
