#!/usr/bin/env bash
# Benchmarks unitbox against systemd's own systemctl (the machine's /usr/bin/systemctl) on
# a generated tree of 500 units, in the same run. Prints mean wall time per call and the
# ratio. Usage: scripts/bench.sh [RUNS]   (default 50 runs per command)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}
oracle=/usr/bin/systemctl

cargo build --release --locked -p unitbox >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target/release/unitbox --install "$work/bin" >/dev/null
ours="$work/bin/systemctl"

# The tree: 500 services, half enabled, every tenth with a drop-in, a template, a target.
root="$work/root"
sys="$root/usr/lib/systemd/system"
etc="$root/etc/systemd/system"
mkdir -p "$sys" "$etc/multi-user.target.wants"
printf '[Unit]\nDescription=Multi-User\n' > "$sys/multi-user.target"
for i in $(seq 1 500); do
  cat > "$sys/svc-$i.service" <<UNIT
[Unit]
Description=Generated service $i
After=network.target

[Service]
Type=simple
ExecStart=/usr/bin/sleep $i
Environment="A=$i" B=two

[Install]
WantedBy=multi-user.target
UNIT
  if (( i % 2 == 0 )); then
    ln -s "/usr/lib/systemd/system/svc-$i.service" "$etc/multi-user.target.wants/svc-$i.service"
  fi
  if (( i % 10 == 0 )); then
    mkdir -p "$etc/svc-$i.service.d"
    printf '[Service]\nNice=5\n' > "$etc/svc-$i.service.d/override.conf"
  fi
done

# mean_ms RUNS CMD...: mean wall-clock milliseconds of RUNS executions of CMD.
mean_ms() {
  local n=$1; shift
  local start end
  start=$(date +%s%N)
  for ((k = 0; k < n; k++)); do "$@" >/dev/null 2>&1 || true; done
  end=$(date +%s%N)
  echo "scale=3; ($end - $start) / $n / 1000000" | bc
}

row() {
  local name=$1; shift
  local a b
  a=$(mean_ms "$runs" "$ours" --root="$root" "$@")
  if "$oracle" --root="$root" "$@" >/dev/null 2>&1; then
    b=$(mean_ms "$runs" "$oracle" --root="$root" "$@")
    printf '%-28s %10s ms %10s ms %8sx\n' "$name" "$a" "$b" "$(echo "scale=1; $b / $a" | bc)"
  else
    printf '%-28s %10s ms %13s %9s\n' "$name" "$a" "(unsupported)" "-"
  fi
}

echo "500 units, $runs runs each, mean wall time per call"
printf '%-28s %13s %13s %9s\n' command unitbox "systemd 252" speedup
row "is-enabled svc-250" is-enabled svc-250.service
row "list-unit-files" list-unit-files --no-pager
row "show svc-250" show svc-250.service
row "enable+disable svc-251" enable svc-251.service
"$oracle" --root="$root" disable svc-251.service >/dev/null 2>&1 || true
