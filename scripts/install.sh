#!/usr/bin/env bash
# Builds unitbox (static when the musl target is available) and installs it with one
# symlink per applet into DIR (default: ./dist/bin). It never touches /usr/bin/systemctl
# unless you name that directory yourself.
#   scripts/install.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-dist/bin}
bin=$(scripts/build-static.sh | cut -d: -f1)
mkdir -p "$dir"
install -m 0755 "$bin" "$dir/unitbox"
"$dir/unitbox" --install "$dir" --force >/dev/null
echo "installed: $dir/unitbox and its applets: $("$dir/unitbox" --list | tr '\n' ' ')"
