#!/bin/sh
# Mean wall time of `systemctl start` + `systemctl stop` with the release build:
#   1. one Type=simple service (sleep), ROUNDS times;
#   2. 50 such services started and stopped with one command each (a target that wants
#      them all), ROUNDS times.
# Runs in a scratch --root; kills nothing it did not start.
# Usage: scripts/bench-lifecycle.sh [ROUNDS]   (default 20)
set -eu

ROUNDS=${1:-20}
cd "$(dirname "$0")/.."
cargo build --release -p unitbox >/dev/null 2>&1 || cargo build --release -p unitbox
BIN=$(pwd)/target/release/unitbox

ROOT=$(mktemp -d /tmp/unitbox-bench-XXXXXX)
trap '"$BIN" systemctl --root="$ROOT" stop "bench-*" >/dev/null 2>&1 || true; rm -rf "$ROOT"' EXIT
UNITS=$ROOT/etc/systemd/system
mkdir -p "$UNITS/bench-all.target.wants"

printf '[Unit]\nStartLimitIntervalSec=0\n[Service]\nExecStart=/bin/sleep 86400\n' >"$UNITS/bench-one.service"
printf '[Unit]\nDescription=all bench services\n' >"$UNITS/bench-all.target"
i=1
while [ "$i" -le 50 ]; do
    printf '[Unit]\nStartLimitIntervalSec=0\n[Service]\nExecStart=/bin/sleep 86400\n' >"$UNITS/bench-$i.service"
    ln -s "/etc/systemd/system/bench-$i.service" "$UNITS/bench-all.target.wants/bench-$i.service"
    i=$((i + 1))
done

ctl() { "$BIN" systemctl --root="$ROOT" "$@"; }
now_ns() { date +%s%N; }

# Mean milliseconds of ROUNDS × (start $1; stop $2).
measure() {
    total=0
    n=0
    while [ "$n" -lt "$ROUNDS" ]; do
        t0=$(now_ns)
        ctl start "$1"
        ctl stop "$2"
        t1=$(now_ns)
        total=$((total + t1 - t0))
        n=$((n + 1))
    done
    echo "scale=2; $total / $ROUNDS / 1000000" | bc
}

ctl start bench-one.service && ctl stop bench-one.service # warm the page cache
echo "start+stop, 1 simple service:   $(measure bench-one.service bench-one.service) ms (mean of $ROUNDS)"
echo "start+stop, 50 simple services: $(measure bench-all.target 'bench-*') ms (mean of $ROUNDS)"
