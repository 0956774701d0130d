#!/usr/bin/env bash
# Prepares Fashion-MNIST (Zalando's 70,000 28x28 grey images of 10 kinds of clothing) from
# Debian's `dataset-fashion-mnist` package (installed with apt when missing, about 30 MB): the
# official split, 60,000 training and 10,000 test images, each written as a safetensors file with
# `features` (U8, [samples, 1, 28, 28]: the pixels as bytes, which the worker keeps as bytes and
# reads as value / 255) and `labels` (U8, [samples]).
#
#   ./scripts/lib/prepare-fashion-data.sh [OUT_DIR]    default: ~/.cache/pouw/data/fashion
#
# Prints the files' summary (files, blake2-256 hashes, sample counts), as prepare-demo-data.sh
# does. Idempotent: the conversion is exact, so a second run writes the same bytes and hashes.
# shellcheck disable=SC1091
source "$(dirname "${BASH_SOURCE[0]}")/help.sh"
help_and_exit_if_asked "$0" "$@"
set -euo pipefail
POUW_CACHE="${POUW_CACHE:-$HOME/.cache/pouw}"
OUT="${1:-$POUW_CACHE/data/fashion}"
SRC="${POUW_FASHION_SRC:-/usr/share/datasets/fashion-mnist}"

if [ ! -f "$SRC/train-images-idx3-ubyte.gz" ]; then
	SUDO=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || { echo "[data] not root and no sudo: install dataset-fashion-mnist" >&2; exit 1; }
		SUDO=(sudo -n)
	fi
	echo "[data] installing Debian's dataset-fashion-mnist (about 30 MB)" >&2
	"${SUDO[@]}" apt-get install -y -qq --no-install-recommends dataset-fashion-mnist >/dev/null ||
		{ "${SUDO[@]}" apt-get update -qq && "${SUDO[@]}" apt-get install -y -qq --no-install-recommends dataset-fashion-mnist >/dev/null; }
fi
mkdir -p "$OUT"
python3 - "$SRC" "$OUT" "$(dirname "${BASH_SOURCE[0]}")" <<'PY'
import gzip, hashlib, json, struct, sys
src, out = sys.argv[1], sys.argv[2]
sys.path.insert(0, sys.argv[3])
from safetensors_writer import serialize as safetensors

def idx(path, magic, dims):
    raw = gzip.open(path).read()
    head = struct.unpack(">" + "I" * (1 + dims), raw[: 4 * (1 + dims)])
    if head[0] != magic:
        sys.exit(f"{path}: magic {head[0]:#x}, expected {magic:#x}")
    shape = list(head[1:])
    body = raw[4 * (1 + dims):]
    n = 1
    for d in shape:
        n *= d
    if len(body) != n:
        sys.exit(f"{path}: {len(body)} bytes of values, the header says {n}")
    return shape, body

summary = {}
for part, prefix in (("train", "train"), ("test", "t10k")):
    (n, h, w), pixels = idx(f"{src}/{prefix}-images-idx3-ubyte.gz", 0x803, 3)
    (m,), labels = idx(f"{src}/{prefix}-labels-idx1-ubyte.gz", 0x801, 1)
    if n != m or (h, w) != (28, 28) or max(labels) > 9:
        sys.exit(f"{part}: {n} images of {h}x{w}, {m} labels up to {max(labels)}")
    blob = safetensors({"features": ("U8", [n, 1, h, w], pixels), "labels": ("U8", [n], labels)})
    path = f"{out}/{part}.safetensors"
    with open(path, "wb") as f:
        f.write(blob)
    summary[part] = {"file": path, "hash": "0x" + hashlib.blake2b(blob, digest_size=32).hexdigest(), "samples": n}
summary["features"] = 784
summary["classes"] = 10
print(json.dumps(summary))
PY
