#!/usr/bin/env python3
"""Checks that relay/Cargo.lock uses the root Cargo.lock's version of every crate both name, and
that relay/Cargo.toml's profiles are the root's.

relay/ (the relay chain node for zombienet) is its own workspace so that CI's clippy does not build
the rococo runtime; sharing the root lockfile's versions keeps the relay chain on the same
polkadot-sdk release as pouw-node and lets it reuse pouw-node's builds. Exit status 1 and the
differing crates when they drift apart (fix: copy the root Cargo.lock to relay/ and build again);
a crate built with another profile is another build, so the `[profile]` tables must match too.
"""
import pathlib
import sys
import tomllib

root = pathlib.Path(__file__).resolve().parent.parent.parent


def versions(path):
    found = {}
    with open(path, "rb") as f:
        for package in tomllib.load(f).get("package", []):
            found.setdefault(package["name"], set()).add(package["version"])
    return found


main = versions(root / "Cargo.lock")
relay = versions(root / "relay" / "Cargo.lock")
drift = sorted(
    f"{name}: relay {', '.join(sorted(vs))}, root {', '.join(sorted(main[name]))}"
    for name, vs in relay.items()
    if name in main and not vs <= main[name]
)
shared = sum(1 for name in relay if name in main)


def profiles(path):
    with open(path, "rb") as f:
        return tomllib.load(f).get("profile", {})


if profiles(root / "Cargo.toml") != profiles(root / "relay" / "Cargo.toml"):
    print("relay/Cargo.toml's [profile] tables differ from the root Cargo.toml's: copy them over")
    sys.exit(1)
if drift:
    print(f"relay/Cargo.lock differs from Cargo.lock in {len(drift)} crates:")
    print("\n".join(f"  {line}" for line in drift))
    sys.exit(1)
print(f"relay/Cargo.lock: {shared} crates shared with Cargo.lock, all at its versions")
