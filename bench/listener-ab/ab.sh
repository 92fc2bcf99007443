#!/bin/bash
# Alternates wrk between listeners (bench/listener-ab/listener.mjs) and prints each one's req/s, p99, user and system
# CPU per request and requests per CPU-second of its process (from /proc), which hold up when other work shares the
# machine; then, per listener, the median of the rounds, and each listener's user CPU over the first one's, round by
# round (the pairs see the same moment of the machine).
# Usage: bench/listener-ab/ab.sh CONNS SECONDS ROUNDS PORT:LABEL [PORT:LABEL ...]   (BODY=1m for the 1 MB file)
set -euo pipefail
conns=$1 seconds=$2 rounds=$3
shift 3
ticks=$(getconf CLK_TCK)
declare -A results
for round in $(seq "$rounds"); do
  for pair in "$@"; do
    port=${pair%%:*} label=${pair#*:}
    pid=$(ss -ltnpH "sport = :$port" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
    read -r user0 sys0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
    out=$(wrk -t1 -c"$conns" -d"${seconds}s" --latency "http://127.0.0.1:$port/user/bench/${BODY:-1k}")
    read -r user1 sys1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    # user µs, system µs per request; requests per CPU-second
    cost=$(awk -v n="$requests" -v u=$((user1 - user0)) -v s=$((sys1 - sys0)) -v t="$ticks" \
      'BEGIN { printf "%.1f %.1f %d", u * 1e6 / t / n, s * 1e6 / t / n, n * t / (u + s + 0.5) }')
    results[$label]+="$cost;"
    read -r user sys per_cpu_second <<<"$cost"
    echo "round $round $label c=$conns: $(echo "$out" | awk '/Requests\/sec/ {print $2}') req/s, p99 $(echo "$out" | awk '/ 99%/ {print $2}'), user $user µs + system $sys µs per request, $per_cpu_second req per CPU-second"
  done
done
column() { echo "${results[$1]}" | tr ';' '\n' | grep . | awk -v c="$2" '{print $c}'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
first=${1#*:}
for pair in "$@"; do
  label=${pair#*:}
  echo "median $label c=$conns: user $(column "$label" 1 | median) µs + system $(column "$label" 2 | median) µs per request, $(column "$label" 3 | median) req per CPU-second"
  if [ "$label" != "$first" ]; then
    echo "  user CPU of $label / $first, by round: $(paste -d' ' <(column "$first" 1) <(column "$label" 1) | awk '{ printf "%.2f ", $2 / $1 }')"
  fi
done
