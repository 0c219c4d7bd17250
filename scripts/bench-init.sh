#!/usr/bin/env bash
# Benchmarks unitbox as PID 1 of a container (a PID namespace + chroot, as the init tests
# do): resident memory while idle, wake-ups while idle (voluntary context switches of
# PID 1 over WINDOW seconds, scaled to a minute), boot time of 50 enabled services, and
# shutdown time. Needs root. Usage: scripts/bench-init.sh [WINDOW]   (default 10 s)
set -euo pipefail
cd "$(dirname "$0")/.."
window=${1:-10}
scripts/build-static.sh >&2
bin=target/x86_64-unknown-linux-musl/release/unitbox
busybox=/usr/bin/busybox
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' || {
  echo "error: needs Debian's busybox-static" >&2; exit 1; }

root=$(mktemp -d)
cleanup() {
  [ -n "${pid1:-}" ] && kill -KILL "$pid1" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$root"
}
trap cleanup EXIT
mkdir -p "$root"/{bin,usr/bin,tmp,run,proc,dev,usr/lib/systemd/system,etc/systemd/system/multi-user.target.wants}
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for a in sh sleep env cat; do ln -s busybox "$root/bin/$a"; done
cp "$bin" "$root/usr/bin/unitbox"
ln -s unitbox "$root/usr/bin/systemctl"
mknod -m 666 "$root/dev/null" c 1 3
printf '[Unit]\nDescription=Multi-User System\n' > "$root/usr/lib/systemd/system/multi-user.target"
for i in $(seq 1 50); do
  printf '[Service]\nExecStart=/bin/sleep 100000\n[Install]\nWantedBy=multi-user.target\n' \
    > "$root/etc/systemd/system/svc-$i.service"
  ln -s "/etc/systemd/system/svc-$i.service" "$root/etc/systemd/system/multi-user.target.wants/"
done

in_ns() { nsenter -t "$pid1" -p -m -r -w "$@"; }
now() { date +%s.%N; }

start=$(now)
unshare --pid --fork --mount-proc="$root/proc" env -i PATH=/usr/bin:/bin \
  /usr/sbin/chroot "$root" /usr/bin/systemctl >/dev/null 2>&1 &
unshare_pid=$!
until pid1=$(cut -d' ' -f1 "/proc/$unshare_pid/task/$unshare_pid/children" 2>/dev/null) && [ -n "$pid1" ]; do
  sleep 0.01
done
until [ "$(in_ns /usr/bin/systemctl is-system-running 2>/dev/null || true)" = running ]; do
  sleep 0.02
done
booted=$(now)

rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid1/status")
before=$(awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$pid1/status")
sleep "$window"
after=$(awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$pid1/status")

stop=$(now)
kill -TERM "$pid1"
wait "$unshare_pid" || true
stopped=$(now)
pid1=

awk -v b="$start" -v e="$booted" 'BEGIN { printf "boot of 50 services:   %.3f s\n", e - b }'
echo "PID 1 RSS while idle:  ${rss} KiB"
awk -v n="$((after - before))" -v w="$window" 'BEGIN { printf "wake-ups while idle:   %.1f per minute\n", n * 60 / w }'
awk -v b="$stop" -v e="$stopped" 'BEGIN { printf "shutdown:              %.3f s\n", e - b }'
