#!/usr/bin/env bash
# Issue 15, session 19: a short OpenMP spin before sleeping (QuietStarRuntime.UsePassiveOpenMpWait sets GOMP_SPINCOUNT
# with OMP_WAIT_POLICY=PASSIVE). Whole processes in turn (../alternate.sh), tcmalloc.
#   run.sh        (first, with the 30000 default of 98ab97a) BASE = c905d9a's Release CLI (sets PASSIVE itself, no spin
#                 count), OLD = main 14754b1's (the same), NEW = 98ab97a's -> ab_train_t2, ab_train_t2_both_spin, ab_decode_t2
#   run.sh final  (after the busy-core runs below, with the 1000 default) NEW = the final CLI -> final_train_t2, final_decode_t2
# JSON lines go to this folder.
# The exploration that chose the value (one process each, main 14754b1's CLI with the variables set by hand) is in
# train_t2_{passive,spin30k,spin100k,spin300k}.jsonl, decode_t2_*.jsonl, decode_t1_*.jsonl and *_onecore_*.jsonl
# (pinned to one core with taskset -c 0: libgomp then sees one CPU and, under PASSIVE, does not spin at all, so those
# rows show only that). train_t2_busy_cpu1_*.jsonl: the second vCPU kept busy by a spinning shell loop pinned to it
# (taskset -c 1 sh -c 'while :; do :; done'), GOMP_SPINCOUNT 0 / 300 / 1000 / 3000 / 10000 / 30000 given by hand to the
# 30000-default CLI; train_t2_idle_spin*.jsonl: the same counts on the idle machine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
alt=$here/../alternate.sh
BASE=${BASE:-/work/bench/base/quietstar.dll}
OLD=${OLD:-/work/bench/new0/quietstar.dll}
NEW=${NEW:-/work/bench/new1/quietstar.dll}
log() { echo "$(date -u +%H:%M:%S) $1: load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$here/load.log"; }
if [[ ${1:-} == final ]]; then
  log final_train_t2;  THREADS=2 $alt "$here/final_train_t2" 2 c905d9a "$BASE" new "$NEW" -- bench train --steps 3 --warmup 1
  log final_decode_t2; THREADS=2 $alt "$here/final_decode_t2" 2 main14754b1 "$OLD" new "$NEW" -- bench decode --repeats 5 --warmup 1 --threads 2
  log final_end
  exit 0
fi
log train_t2;       THREADS=2 $alt "$here/ab_train_t2" 3 c905d9a "$BASE" new "$NEW" -- bench train --steps 3 --warmup 1
log train_t2_spin;  GOMP_SPINCOUNT=30000 THREADS=2 $alt "$here/ab_train_t2_both_spin" 2 c905d9a "$BASE" new "$NEW" -- bench train --steps 3 --warmup 1
log decode_t2;      THREADS=2 $alt "$here/ab_decode_t2" 2 main14754b1 "$OLD" new "$NEW" -- bench decode --repeats 5 --warmup 1 --threads 2
log end
