#!/usr/bin/env bash
# Issue 15, session 19: how far is 2x on the dim-256 model from what this CPU's arithmetic allows?
#   run.sh        1. the matrix-product rate of this machine (sgemm/, 1 thread, tcmalloc) -> sgemm.jsonl
#                 2. c905d9a against main on the dim-256 model, whole processes in turn (../alternate.sh, 1 thread,
#                    tcmalloc) -> dim256_c905d9a.jsonl, dim256_<NEW_NAME>.jsonl
#                 3. python3 flops.py RATE: the step's products counted from the shapes, divided by the rate.
#   run.sh extra  (added after the review) the reference configuration interleaved at 1 thread -> ref_t1_*.jsonl;
#                 the product rate at 2 threads -> sgemm_t2.jsonl; the dim-256 model at 2 threads -> dim256_t2_*.jsonl.
#   run.sh ref2   the reference configuration interleaved at 2 threads -> ref_t2_*.jsonl.
# BASE = c905d9a's Release CLI, NEW = main's (copies of samples/QuietStar.Cli/bin/Release/net10.0); the dim-256 model
# folder is written by the snippet in docs/performance.md ("How it scales"). Load at start and end goes to load.log.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
BASE=${BASE:-/work/bench/base/quietstar.dll}
NEW=${NEW:-/work/bench/new0/quietstar.dll}
NEW_NAME=${NEW_NAME:-main14754b1}
MODEL=${MODEL:-/work/bench/dim256}
tcmalloc=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
part=${1:-bound}
log() { echo "$(date -u +%H:%M:%S) $part $1: load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$here/load.log"; }
sgemm() { OMP_NUM_THREADS=$1 LD_PRELOAD=$tcmalloc dotnet "$root/docs/benchmarks/perf/bound/sgemm/bin/Release/net10.0/sgemm.dll" "$1"; }
pairs() { # THREADS PAIRS OUT_PREFIX bench-args...
  local threads=$1 n=$2 prefix=$3; shift 3
  local tmp; tmp=$(mktemp -d)
  THREADS=$threads "$here/../alternate.sh" "$tmp" "$n" base "$BASE" new "$NEW" -- "$@"
  cat "$tmp/base.jsonl" >> "$here/${prefix}_c905d9a.jsonl"; cat "$tmp/new.jsonl" >> "$here/${prefix}_$NEW_NAME.jsonl"
}
dotnet build "$root/docs/benchmarks/perf/bound/sgemm" -c Release >/dev/null
log start
if [[ $part == bound ]]; then
  sgemm 1 >> "$here/sgemm.jsonl"
  pairs 1 "${PAIRS:-2}" dim256 bench train --model "$MODEL" --steps 2 --warmup 1
  log end
  python3 "$here/flops.py" "$(python3 -c "import json,statistics; print(statistics.median(json.loads(l)['gflop_per_s_median'] for l in open('$here/sgemm.jsonl') if 'dim 256' in l))")"
elif [[ $part == ref2 ]]; then
  pairs 2 2 ref_t2 bench train --steps 3 --warmup 1
  log end
else
  pairs 1 2 ref_t1 bench train --steps 3 --warmup 1
  sgemm 2 >> "$here/sgemm_t2.jsonl"
  pairs 2 1 dim256_t2 bench train --model "$MODEL" --steps 2 --warmup 1
  log end
fi
