#!/usr/bin/env bash
# The whole test suite: unit tests of every crate and the integration tests that run the
# real binary (tests/). Needs root for the tests that switch users or enter namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked "$@"
