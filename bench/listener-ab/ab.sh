#!/bin/bash
# Alternates wrk between listeners (bench/listener-ab/listener.mjs) and prints each one's req/s, p99 and requests
# per CPU-second of its process (from /proc), which holds up when other work shares the machine.
# Usage: bench/listener-ab/ab.sh CONNS SECONDS ROUNDS PORT:LABEL [PORT:LABEL ...]   (BODY=1m for the 1 MB file)
set -euo pipefail
conns=$1 seconds=$2 rounds=$3
shift 3
for round in $(seq "$rounds"); do
  for pair in "$@"; do
    port=${pair%%:*} label=${pair#*:}
    pid=$(ss -ltnpH "sport = :$port" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
    before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    out=$(wrk -t1 -c"$conns" -d"${seconds}s" --latency "http://127.0.0.1:$port/user/bench/${BODY:-1k}")
    after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    ticks=$(getconf CLK_TCK)
    echo "round $round $label c=$conns: $(echo "$out" | awk '/Requests\/sec/ {print $2}') req/s, p99 $(echo "$out" | awk '/ 99%/ {print $2}'), $(( requests * ticks / (after - before + 1) )) req per CPU-second"
  done
done
