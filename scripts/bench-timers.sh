#!/usr/bin/env bash
# Benchmarks timers: (1) `systemd-analyze calendar` of unitbox against the machine's own
# /usr/bin/systemd-analyze (mean wall time per call, process start included); (2) 50
# active timers under unitbox as PID 1 of a container (PID namespace + chroot): memory of
# their supervisors (RSS and PSS sums, the static binary's pages are shared) and their
# wake-ups while idle (context switches over WINDOW seconds, scaled to a minute).
# Needs root and Debian's busybox-static. Usage: scripts/bench-timers.sh [WINDOW] [N]
set -euo pipefail
cd "$(dirname "$0")/.."
window=${1:-10}
n=${2:-200}
scripts/build-static.sh >&2
bin=$PWD/target/x86_64-unknown-linux-musl/release/unitbox
busybox=/usr/bin/busybox

work=$(mktemp -d)
cleanup() {
  [ -n "${pid1:-}" ] && kill -KILL "$pid1" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }

# (1) calendar speed
ln -s "$bin" "$work/systemd-analyze"
exprs=("Mon..Fri *-*-* 10:00" "*-*-1~7 04:00 Europe/Berlin" "weekly" "*:0/15")
per_call() { # per_call BINARY → mean ms per call
  local start end
  start=$(now)
  for _ in $(seq 1 "$n"); do
    for e in "${exprs[@]}"; do "$1" calendar --iterations=3 "$e" >/dev/null; done
  done
  end=$(now)
  awk -v b="$start" -v e="$end" -v c="$((n * ${#exprs[@]}))" 'BEGIN { printf "%.2f", (e - b) * 1000 / c }'
}
ours=$(per_call "$work/systemd-analyze")
theirs=$(per_call /usr/bin/systemd-analyze)
echo "systemd-analyze calendar: unitbox ${ours} ms, systemd 252 ${theirs} ms per call" \
  "($(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.1f", b / a }')x)"

# (2) 50 active timers under PID 1
root=$work/root
mkdir -p "$root"/{bin,usr/bin,tmp,run,proc,dev,usr/lib/systemd/system,etc/systemd/system/timers.target.wants}
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for a in sh sleep env cat true; do ln -s busybox "$root/bin/$a"; done
cp "$bin" "$root/usr/bin/unitbox"
ln -s unitbox "$root/usr/bin/systemctl"
mknod -m 666 "$root/dev/null" c 1 3
printf '[Unit]\nDescription=Multi-User System\n' > "$root/usr/lib/systemd/system/multi-user.target"
for i in $(seq 1 50); do
  printf '[Timer]\nOnCalendar=*-*-* 04:%02d\nPersistent=yes\n[Install]\nWantedBy=timers.target\n' \
    "$i" > "$root/etc/systemd/system/t-$i.timer"
  printf '[Service]\nType=oneshot\nExecStart=/bin/true\n' > "$root/etc/systemd/system/t-$i.service"
  ln -s "/etc/systemd/system/t-$i.timer" "$root/etc/systemd/system/timers.target.wants/"
done
in_ns() { nsenter -t "$pid1" -p -m -r -w "$@"; }
unshare --pid --fork --mount-proc="$root/proc" env -i PATH=/usr/bin:/bin \
  /usr/sbin/chroot "$root" /usr/bin/systemctl >/dev/null 2>&1 &
unshare_pid=$!
until pid1=$(cut -d' ' -f1 "/proc/$unshare_pid/task/$unshare_pid/children" 2>/dev/null) && [ -n "$pid1" ]; do
  sleep 0.01
done
until [ "$(in_ns /usr/bin/systemctl is-system-running 2>/dev/null || true)" = running ]; do
  sleep 0.02
done
timers=$(in_ns /usr/bin/systemctl list-timers --no-legend | wc -l)
sleep 1
kids=$(cat "/proc/$pid1/task/$pid1/children")
count=0 rss=0 pss=0
switches() { local s=0; for p in $kids; do
  s=$((s + $(awk '/ctxt_switches/ {t += $2} END {print t}' "/proc/$p/status"))); done; echo "$s"; }
for p in $kids; do
  count=$((count + 1))
  rss=$((rss + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status")))
  pss=$((pss + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup")))
done
before=$(switches)
sleep "$window"
after=$(switches)
kill -TERM "$pid1"
wait "$unshare_pid" || true
pid1=
echo "active timers listed: $timers, timer supervisors: $count"
echo "their memory: RSS sum $((rss / 1024)) MiB, PSS sum $((pss / 1024)) MiB ($((pss / count)) KiB each)"
awk -v n="$((after - before))" -v w="$window" 'BEGIN { printf "their wake-ups while idle: %.1f per minute (all 50)\n", n * 60 / w }'
