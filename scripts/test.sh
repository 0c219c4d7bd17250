#!/usr/bin/env bash
# The whole test suite: unit tests of every crate and the integration tests that run the
# real binary (tests/). Needs root for the tests that switch users or enter namespaces.
# Ends with one summary line over all test binaries: "total: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
awk '/^test result:/ { p += $4; f += $6 } END { printf "total: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
