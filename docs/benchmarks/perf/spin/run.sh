#!/usr/bin/env bash
# Issue 15, session 19: a short OpenMP spin before sleeping (QuietStarRuntime.UsePassiveOpenMpWait now sets
# GOMP_SPINCOUNT=30000 with OMP_WAIT_POLICY=PASSIVE). Whole processes in turn (../alternate.sh), tcmalloc.
#   BASE = c905d9a's Release CLI (sets OMP_WAIT_POLICY=PASSIVE itself, no spin count), OLD = main 14754b1's (the same),
#   NEW = this commit's (PASSIVE + GOMP_SPINCOUNT=30000). JSON lines go to this folder.
# The exploration that chose the value (one process each, main 14754b1's CLI with the variables set by hand) is in
# train_t2_{passive,spin30k,spin100k,spin300k}.jsonl, decode_t2_*.jsonl, decode_t1_*.jsonl and *_onecore_*.jsonl
# (pinned to one core with taskset -c 0).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
alt=$here/../alternate.sh
BASE=${BASE:-/work/bench/base/quietstar.dll}
OLD=${OLD:-/work/bench/new0/quietstar.dll}
NEW=${NEW:-/work/bench/new1/quietstar.dll}
log() { echo "$(date -u +%H:%M:%S) $1: load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$here/load.log"; }
log train_t2;       THREADS=2 $alt "$here/ab_train_t2" 3 c905d9a "$BASE" new "$NEW" -- bench train --steps 3 --warmup 1
log train_t2_spin;  GOMP_SPINCOUNT=30000 THREADS=2 $alt "$here/ab_train_t2_both_spin" 2 c905d9a "$BASE" new "$NEW" -- bench train --steps 3 --warmup 1
log decode_t2;      THREADS=2 $alt "$here/ab_decode_t2" 2 main14754b1 "$OLD" new "$NEW" -- bench decode --repeats 5 --warmup 1 --threads 2
log end
