#!/usr/bin/env bash
# journald's receivers under load, unitbox's against systemd 252's own
# /usr/lib/systemd/systemd-journald (which runs offline in a mount namespace): records per
# second accepted and stored on each input, the same clients for both —
#   native: a python client sending N datagrams to /run/systemd/journal/socket;
#   stream: the machine's /usr/bin/systemd-cat with N lines on stdin;
#   syslog: a python client sending N RFC 3164 datagrams to /run/systemd/journal/dev-log;
# and the receiver's resident memory idle (VmRSS) and its peak after the floods (VmHWM).
# Rate limiting is off for both (RateLimitBurst=0), storage volatile (a tmpfs).
# Each receiver runs in `unshare -m` with /run/systemd (and the real one's /run/log,
# /var/log/journal) on tmpfs: the machine's own journal is never touched.
# Usage: scripts/bench-journal.sh [N]   (default 20000); BIN=… for another unitbox binary.
set -euo pipefail

N=${1:-20000}
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
    cargo build --release -p unitbox >/dev/null 2>&1 || cargo build --release -p unitbox
    BIN=$(pwd)/target/release/unitbox
fi
REAL=/usr/lib/systemd/systemd-journald
WORK=$(mktemp -d /tmp/unitbox-bench-journal-XXXXXX)
ROOT=$WORK/root
trap '"$BIN" systemctl --root="$ROOT" stop systemd-journald >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT

cat >"$WORK/send.py" <<'PY'
import socket, sys
path, kind, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect(path)
for i in range(n):
    if kind == "native":
        s.send(b"MESSAGE=native record %d\nSYSLOG_IDENTIFIER=bench-native\nPRIORITY=6\n" % i)
    else:
        s.send(b"<14>Dec  3 10:00:00 bench-syslog[42]: syslog record %d" % i)
PY

# Runs inside the namespace: $1 = how to count stored records of an identifier, $2 = pid.
cat >"$WORK/inputs.sh" <<'SH'
count=$1 pid=$2 n=$3 work=$4
now() { date +%s%N; }
rss() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }
stored=0
wait_for() {  # identifier: until all N are stored, or none more for 5 s (records lost)
    last=-1 still=0
    while stored=$($count "$1") && [ "$stored" -lt "$n" ]; do
        if [ "$stored" = "$last" ]; then still=$((still + 1)); else still=0 last=$stored; fi
        [ "$still" -lt 100 ] || break
        sleep 0.05
    done
    [ "$stored" -ge "$n" ] || echo "lost_$1 $((n - stored))"
}
echo "idle_rss_kib $(rss VmRSS)"
t0=$(now); python3 "$work/send.py" /run/systemd/journal/socket native "$n"; wait_for bench-native; t1=$(now)
echo "native $(( stored * 1000000000 / (t1 - t0) ))"
t0=$(now); seq -f 'stream record %g' "$n" | /usr/bin/systemd-cat -t bench-stream; wait_for bench-stream; t1=$(now)
echo "stream $(( stored * 1000000000 / (t1 - t0) ))"
t0=$(now); python3 "$work/send.py" /run/systemd/journal/dev-log syslog "$n"; wait_for bench-syslog; t1=$(now)
echo "syslog $(( stored * 1000000000 / (t1 - t0) ))"
echo "peak_rss_kib $(rss VmHWM)"
SH

# unitbox: journald of a scratch root, its sockets bound onto /run/systemd/journal.
mkdir -p "$ROOT/etc/systemd"
printf '[Journal]\nRateLimitBurst=0\nForwardToConsole=no\n' >"$ROOT/etc/systemd/journald.conf"
"$BIN" systemctl --root="$ROOT" start systemd-journald
OURS_PID=$("$BIN" systemctl --root="$ROOT" show -p MainPID --value systemd-journald)
cat >"$WORK/count-ours.sh" <<SH
#!/bin/sh
# The live file and the one rotated file (a flood of N records may rotate once).
cat "$ROOT"/run/unitbox/journal/system.journal* 2>/dev/null | grep -c -- "\$1" || true
SH
chmod +x "$WORK/count-ours.sh"
unshare -m sh -c "mount -t tmpfs none /run/systemd && mkdir /run/systemd/journal &&
    mount --bind '$ROOT/run/systemd/journal' /run/systemd/journal &&
    sh '$WORK/inputs.sh' '$WORK/count-ours.sh' $OURS_PID $N '$WORK'" >"$WORK/ours"

# systemd 252's journald, started by hand in its own namespace.
cat >"$WORK/count-real.sh" <<'SH'
#!/bin/sh
journalctl -D /run/log/journal -q -o cat -t "$1" 2>/dev/null | wc -l
SH
chmod +x "$WORK/count-real.sh"
unshare -m sh -c "mount -t tmpfs none /run/systemd && mount -t tmpfs none /run/log &&
    mount -t tmpfs none /var/log/journal 2>/dev/null; mkdir -p /run/systemd/journald.conf.d &&
    printf '[Journal]\nRateLimitBurst=0\nStorage=volatile\nForwardToSyslog=no\nForwardToWall=no\n' \
        >/run/systemd/journald.conf.d/bench.conf &&
    { $REAL >/dev/null 2>&1 & jd=\$!; };
    while [ ! -S /run/systemd/journal/stdout ]; do sleep 0.05; done; sleep 0.2;
    sh '$WORK/inputs.sh' '$WORK/count-real.sh' \$jd $N '$WORK'; kill \$jd; wait" >"$WORK/real"

printf '%-22s %12s %12s %8s\n' "N=$N" unitbox "systemd 252" ratio
while read -r key ours; do
    real=$(awk -v k="$key" '$1 == k { print $2 }' "$WORK/real")
    unit="rec/s"
    case $key in *_kib) unit="KiB" ;; esac
    ratio=$(awk -v a="$ours" -v b="$real" 'BEGIN { if (b > 0) printf "%.2f", a / b }')
    printf '%-22s %12s %12s %8s\n' "$key ($unit)" "$ours" "$real" "$ratio"
done <"$WORK/ours"
