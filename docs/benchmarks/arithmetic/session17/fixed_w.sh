#!/usr/bin/env bash
# Diagnostic: exact match of a checkpoint with the mixing head's w replaced by a constant (QS_FORCE_W), think-then-speak,
# greedy thoughts, the same 200 held-out problems. Build: commit 0f70407 with fixed_w.patch applied (diagnostic only;
# not in the library). Usage: BIN=<that build's CLI folder> fixed_w.sh
set -u
Q="dotnet ${BIN:-/work/bin-diag}/quietstar.dll"
out=${OUT:-/work/exp}
mkdir -p $out/fixed_w
export OMP_NUM_THREADS=1
E="eval --task gsm8k --exact-match --data /work/main/docs/benchmarks/arithmetic/val200.jsonl --batch 25 --max-tokens 7 --decoding think-then-speak --thought-sampling greedy"
run() { QS_FORCE_W=$2 $Q $E --model $out/$1/checkpoint > $out/fixed_w/$1__w$2.json 2>/dev/null; }
for w in 0.3 0.5 0.7 1; do run init_s2 $w; done
for w in 0.5 1; do run s40_s2 $w; done
for w in 0.3 0.5 0.7; do run norm1_s2 $w; done
for w in 0.3 0.5 0.7; do run lr1e5_s2 $w; done
