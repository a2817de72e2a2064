#!/usr/bin/env bash
# Issue 15, session 19: is 2x on the dim-256 model within reach of a float32 step that keeps its arithmetic?
#  1. the matrix-product rate of this machine (sgemm/, 1 thread, tcmalloc) -> sgemm.jsonl
#  2. c905d9a against main on the dim-256 model, whole processes in turn (../alternate.sh, 1 thread, tcmalloc)
#     -> dim256_c905d9a.jsonl, dim256_main<commit>.jsonl
#  3. python3 flops.py RATE: the step's products counted from the shapes, divided by the rate.
# BASE = c905d9a's Release CLI, NEW = main's (copies of samples/QuietStar.Cli/bin/Release/net10.0); the dim-256 model
# folder is written by the snippet in docs/performance.md ("How it scales").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
BASE=${BASE:-/work/bench/base/quietstar.dll}
NEW=${NEW:-/work/bench/new0/quietstar.dll}
NEW_NAME=${NEW_NAME:-main14754b1}
MODEL=${MODEL:-/work/bench/dim256}
tcmalloc=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
echo "$(date -u +%H:%M:%S) start: load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$here/load.log"
dotnet build "$root/docs/benchmarks/perf/bound/sgemm" -c Release >/dev/null
OMP_NUM_THREADS=1 LD_PRELOAD=$tcmalloc dotnet "$root/docs/benchmarks/perf/bound/sgemm/bin/Release/net10.0/sgemm.dll" >> "$here/sgemm.jsonl"
tmp=$(mktemp -d)
THREADS=1 "$here/../alternate.sh" "$tmp" "${PAIRS:-2}" base "$BASE" new "$NEW" -- bench train --model "$MODEL" --steps 2 --warmup 1
cat "$tmp/base.jsonl" >> "$here/dim256_c905d9a.jsonl"; cat "$tmp/new.jsonl" >> "$here/dim256_$NEW_NAME.jsonl"
echo "$(date -u +%H:%M:%S) end: load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$here/load.log"
python3 "$here/flops.py" "$(python3 -c "import json,statistics; print(statistics.median(json.loads(l)['gflop_per_s_median'] for l in open('$here/sgemm.jsonl') if 'dim 256' in l))")"
