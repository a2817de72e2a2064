#!/usr/bin/env bash
# Issue 15, session 18: the merged main (training and decoding changes together) against c905d9a, run after the other
# jobs had ended, as whole processes in turn (../alternate.sh), 1 or 2 threads, tcmalloc preloaded. JSON lines go to
# this folder; ../tabulate.py prints the tables (python3 ../tabulate.py DIR).
#   BASE = c905d9a's Release CLI, MAIN = main 7b6b09b's Release CLI (for batch 8: c905d9a has no --batch),
#   NEW = the merged main's Release CLI (a copy of samples/QuietStar.Cli/bin/Release/net10.0; its commit in NEW_COMMIT).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
alt=$here/../alternate.sh
BASE=${BASE:-/work/bench/base/quietstar.dll}
MAIN=${MAIN:-/work/bench/main7b6/quietstar.dll}
NEW=${NEW:-/work/bench/final/quietstar.dll}
log() { echo "$(date -u +%H:%M:%S) $*: load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$here/load.log"; }
part=${1:-all}
if [[ $part == all || $part == train ]]; then
  log train_t1; THREADS=1 $alt "$here/train_t1" 3 base "$BASE" new "$NEW" -- bench train --steps 3 --warmup 1
  log train_t2; THREADS=2 $alt "$here/train_t2" 3 base "$BASE" new "$NEW" -- bench train --steps 3 --warmup 1
  log dim256;   THREADS=1 $alt "$here/train_dim256_t1" 2 base "$BASE" new "$NEW" -- bench train --model /work/bench/dim256 --steps 2 --warmup 1
fi
if [[ $part == all || $part == decode ]]; then
  log decode_b1; THREADS=1 $alt "$here/decode_b1_t1" 3 base "$BASE" new "$NEW" -- bench decode --repeats 7 --warmup 1
  log decode_b8; THREADS=1 $alt "$here/decode_b8_t1" 2 main "$MAIN" new "$NEW" -- bench decode --repeats 7 --warmup 1 --batch 8
fi
[[ $part == long ]] || log end
# Long sequences (added after the runs above): c905d9a against the merged main at L = 384 and 498, 1 thread.
if [[ $part == long ]]; then
  log long_L384; THREADS=1 $alt "$here/train_L384_t1" 2 base "$BASE" new "$NEW" -- bench train --steps 2 --warmup 1 --seq-len 384
  log long_L498; THREADS=1 $alt "$here/train_L498_t1" 2 base "$BASE" new "$NEW" -- bench train --steps 2 --warmup 1 --seq-len 498
  log long_end
fi
