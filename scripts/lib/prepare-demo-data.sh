#!/usr/bin/env bash
# Prepares the demo's real data set: the UCI optical handwritten digits (1,797 8x8 images, 10
# classes), as shipped inside scikit-learn's wheel on PyPI. Only the wheel is downloaded (no
# install); its `sklearn/datasets/data/digits.csv.gz` is turned into a CSV with a header
# (`p0..p63,label`, pixels scaled from 0..16 to 0..1), then `pouw dataset split` makes the
# public training file and the sponsor's held-out test file.
#
#   ./scripts/lib/prepare-demo-data.sh [OUT_DIR]     default: ~/.cache/pouw/data/digits
#
# Prints the split's summary (files, blake2-256 hashes, sample counts). Idempotent: a second run
# reuses the wheel and gives the same files and hashes.
# shellcheck disable=SC1091
source "$(dirname "${BASH_SOURCE[0]}")/help.sh"
help_and_exit_if_asked "$0" "$@"
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
POUW_CACHE="${POUW_CACHE:-$HOME/.cache/pouw}"
OUT="${1:-$POUW_CACHE/data/digits}"
SKLEARN_VERSION="1.9.1"
WHEELS="$POUW_CACHE/wheels"
POUW="${POUW_BIN:-}"

mkdir -p "$OUT" "$WHEELS"
wheel="$(ls "$WHEELS"/scikit_learn-"$SKLEARN_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
if [ -z "$wheel" ]; then
	echo "[data] downloading the scikit-learn $SKLEARN_VERSION wheel from PyPI (data only, not installed)" >&2
	python3 -m pip download -q --no-deps --only-binary=:all: -d "$WHEELS" "scikit-learn==$SKLEARN_VERSION" >&2
	wheel="$(ls "$WHEELS"/scikit_learn-"$SKLEARN_VERSION"-*.whl | head -n1)"
fi

python3 - "$wheel" "$OUT/digits.csv" <<'PY'
import gzip, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
raw = gzip.decompress(zipfile.ZipFile(wheel).read("sklearn/datasets/data/digits.csv.gz")).decode()
rows = [line.split(",") for line in raw.strip().splitlines()]
assert len(rows) == 1797 and all(len(r) == 65 for r in rows), "unexpected digits.csv layout"
with open(out, "w") as f:
    f.write(",".join(f"p{i}" for i in range(64)) + ",label\n")
    for r in rows:
        pixels = [int(float(v)) for v in r[:64]]
        assert all(0 <= p <= 16 for p in pixels)
        # Exact decimal of p/16 (at most 4 places), so every tool reads the same float.
        f.write(",".join(repr(p / 16) for p in pixels) + f",{int(float(r[64]))}\n")
PY

if [ -z "$POUW" ]; then
	# shellcheck disable=SC1090,SC1091
	[ -f "$POUW_CACHE/env" ] && source "$POUW_CACHE/env"
	POUW="${CARGO_TARGET_DIR:-$POUW_CACHE/target}/release/pouw"
	[ -x "$POUW" ] || (cd "$ROOT/worker" && cargo build --release --locked -q)
fi
"$POUW" dataset split "$OUT/digits.csv" --classes 10 --label-column label --test-fraction 0.2 \
	--seed 7 --out "$OUT"
