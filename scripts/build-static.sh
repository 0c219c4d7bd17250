#!/usr/bin/env bash
# Builds the stripped static musl binary that runs in a FROM scratch image:
#   target/x86_64-unknown-linux-musl/release/unitbox
# and prints its size.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-unknown-linux-musl
if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  rustup target add "$target" >&2
fi
cargo build --release --locked --target "$target" -p unitbox >&2
bin="target/$target/release/unitbox"
if file "$bin" 2>/dev/null | grep -q dynamically; then
  echo "error: $bin is not static" >&2
  exit 1
fi
size=$(stat -c %s "$bin")
echo "$bin: $size bytes ($(( (size + 1023) / 1024 )) KiB)"
