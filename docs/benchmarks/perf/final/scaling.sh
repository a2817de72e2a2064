#!/usr/bin/env bash
# Issue 15, session 18: how the merged main's training step scales over L (T = 9) and T (L = 256), stories260K,
# 1 thread, tcmalloc, one process per point (bench train --steps 2 --warmup 1); the L = 256, T = 9 point is train_t1.
# Table and fitted exponents: python3 scaling.py (this folder).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
NEW=${NEW:-/work/bench/final/quietstar.dll}
run() { env OMP_NUM_THREADS=1 LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 dotnet "$NEW" "$@" 2>/dev/null; }
mkdir -p "$here/scaling"
echo "$(date -u +%H:%M:%S) scaling: load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$here/load.log"
for l in 128 384 498; do run bench train --steps 2 --warmup 1 --seq-len $l >> "$here/scaling/L${l}_T9.jsonl"; done
for t in 3 16; do run bench train --steps 2 --warmup 1 --thought-tokens $t >> "$here/scaling/L256_T${t}.jsonl"; done
echo "$(date -u +%H:%M:%S) scaling end: load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$here/load.log"
