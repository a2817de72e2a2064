#!/usr/bin/env bash
# Mixed-precision (bf16 compute, fp32 masters) against fp32 training on this CPU, issue 14.
# Timing: `quietstar train` (embedded stories260K, small preset: 4×128 tokens, 2 passes, 6+4 thought/talk tokens),
# 20 steps without validation, runs alternated A B A B so that drift of the shared VM hits both alike.
# Loss curve: 30 steps each way, same seed, validation (float32, on the master weights) every 5 steps.
# Usage: [THREADS=1] [CURVES=1] docs/benchmarks/mixed-precision/run.sh [quietstar binary] [out dir]
set -euo pipefail
Q=${1:-samples/QuietStar.Cli/bin/Release/net10.0/quietstar}
OUT=${2:-docs/benchmarks/mixed-precision}
export LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 OMP_WAIT_POLICY=PASSIVE
THREADS=${THREADS:-1}
for rep in 1 2; do
  for mode in none bf16; do
    "$Q" train --steps 20 --eval-every 0 --seed 42 --threads "$THREADS" --mixed-precision "$mode" --out "/tmp/mp_time_${mode}_${rep}" \
      > "$OUT/time_${mode}_${rep}.json" 2> "/tmp/mp_time_${mode}_${rep}.err"
  done
done
[ "${CURVES:-1}" = 1 ] || exit 0
for mode in none bf16; do
  "$Q" train --steps 30 --eval-every 5 --seed 42 --threads "$THREADS" --mixed-precision "$mode" --out "/tmp/mp_curve_${mode}" \
    > "$OUT/curve_${mode}.json" 2> "/tmp/mp_curve_${mode}.err"
  tr '\r' '\n' < "/tmp/mp_curve_${mode}.err" | grep "validation at step" > "$OUT/curve_${mode}_validation.txt" || true
done
