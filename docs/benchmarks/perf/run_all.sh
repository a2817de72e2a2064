#!/usr/bin/env bash
# The runs behind docs/performance.md ("Issue 15"). BASE = the CLI built at c905d9a (the issue's baseline), NEW = this
# branch, HYB = this branch's CLI over the backbone of main at 0f70407 (same backbone as c905d9a's for training; used
# where the c905d9a CLI lacks an option, e.g. bench decode --batch). Each a Release bin folder copied aside.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BASE=${BASE:-/work/bench/base/quietstar.dll}
NEW=${NEW:-/work/bench/new/quietstar.dll}      # the backbone of this branch (commit 4b76add)
NEW2=${NEW2:-/work/bench/v8/quietstar.dll}     # + the base pass once per sequence, + CPU time in the bench JSON (7587ad0)
DIM64LONG=${DIM64LONG:-/work/bench/dim64_ctx2048}
HYB=${HYB:-/work/bench/hyb/quietstar.dll}
DIM256=${DIM256:-/work/bench/dim256}
out=$here/raw
alt=$here/alternate.sh
TRAIN="bench train --steps 3 --warmup 1"
DECODE="bench decode --repeats 7 --warmup 1"
part=${1:-all}

if [[ $part == all || $part == train ]]; then
# Training step at the reference configuration (stories260K, L 256, B 4 x P 2, T 9, M 4, policy weight 1e6), tcmalloc.
THREADS=1 $alt "$out/train_ref_t1" 4 base "$BASE" new "$NEW" -- $TRAIN
THREADS=2 $alt "$out/train_ref_t2" 3 base "$BASE" new "$NEW" -- $TRAIN
# The dim-256 random Llama (4 layers, 8 heads / 4 KV, MLP 688, vocab 512; PretrainedModel.CreateRandom, seed
# 20260101, saved with the stories260K tokenizer), 1 thread.
THREADS=1 $alt "$out/train_dim256_t1" 2 base "$BASE" new "$NEW" -- $TRAIN --model "$DIM256"
fi

if [[ $part == all || $part == decode ]]; then
# Quiet decoding, T = 9, 128 tokens, batch 1 (c905d9a) and batch 8 (old backbone with the new CLI), 1 thread.
THREADS=1 $alt "$out/decode_b1_t1" 4 base "$BASE" new "$NEW2" -- $DECODE
THREADS=1 $alt "$out/decode_b8_t1" 3 old_backbone "$HYB" new "$NEW2" -- $DECODE --batch 8
# Threads for decoding: the same builds at 2 threads (OMP_NUM_THREADS), batch 1 and 8.
THREADS=2 $alt "$out/decode_b1_t2" 3 base "$BASE" new "$NEW2" -- $DECODE
THREADS=2 $alt "$out/decode_b8_t2" 2 old_backbone "$HYB" new "$NEW2" -- $DECODE --batch 8
fi

if [[ $part == all || $part == cpu ]]; then
# CPU time per step (load-robust) and the time breakdown: old backbone (c905d9a's, as at 0f70407) with this CLI
# against this branch with the base pass once, 1 thread.
THREADS=1 $alt "$out/train_ref_cpu_breakdown_t1" 3 old_backbone "$HYB" new "$NEW2" -- $TRAIN --breakdown
fi

if [[ $part == all || $part == scaling ]]; then
# Scaling over L (T = 9) and over T (L = 256), stories260K, and L = 1024 on a random stories-shaped model with a
# 2048-token context; 1 thread, 2 timed steps. Old backbone and new, alternating.
for l in 128 384 498; do
  THREADS=1 $alt "$out/scaling_L${l}_T9" 1 old_backbone "$HYB" new "$NEW2" -- bench train --steps 2 --warmup 1 --seq-len $l
done
for t in 3 16; do
  THREADS=1 $alt "$out/scaling_L256_T${t}" 1 old_backbone "$HYB" new "$NEW2" -- bench train --steps 2 --warmup 1 --thought-tokens $t
done
THREADS=1 $alt "$out/scaling_L1024_T9_dim64" 1 new "$NEW2" new_again "$NEW2" -- bench train --steps 1 --warmup 1 --seq-len 1024 --model "$DIM64LONG"
fi
