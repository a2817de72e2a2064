#!/usr/bin/env bash
# Issue 15, decoding part (feat/b15d): quiet decoding of stories260K (T = 9, 128 tokens, greedy, w ≡ 0), 1 thread,
# tcmalloc, whole processes interleaved A B A B by ../alternate.sh, JSON lines appended under this folder.
#   BASE = the Release CLI built at c905d9a (the issue's baseline; it has no --batch),
#   MAIN = the Release CLI built at main 7b6b09b (this branch's parent; the batch-8 reference),
#   NEW  = the Release CLI of this branch (DecodingBackbone), OUT = the folder for its runs (named after its commit).
# Tables: ./tabulate.sh OUT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BASE=${BASE:-/work/bench/base/quietstar.dll}
MAIN=${MAIN:-/work/bench/main7b6/quietstar.dll}
NEW=${NEW:-/work/bench/dec-5/quietstar.dll}
OUT=${OUT:-$here/5016768}
PAIRS=${PAIRS:-3}
alt=$here/../alternate.sh
DECODE="bench decode --repeats 7 --warmup 1"
part=${1:-all}
mkdir -p "$OUT"
echo "$(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/load.log"
if [[ $part == all || $part == b1 ]]; then
  THREADS=1 ALLOC=tcmalloc $alt "$OUT/decode_b1_t1" "$PAIRS" base "$BASE" new "$NEW" -- $DECODE
  echo "$(date -u +%FT%TZ) after b1: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/load.log"
fi
if [[ $part == all || $part == b8 ]]; then
  THREADS=1 ALLOC=tcmalloc $alt "$OUT/decode_b8_t1" "$PAIRS" main "$MAIN" new "$NEW" -- $DECODE --batch 8
  echo "$(date -u +%FT%TZ) after b8: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/load.log"
fi
if [[ $part == all || $part == main ]]; then
  THREADS=1 ALLOC=tcmalloc $alt "$OUT/decode_b1_t1_main" "$PAIRS" main "$MAIN" new "$NEW" -- $DECODE
  echo "$(date -u +%FT%TZ) after main: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/load.log"
fi
