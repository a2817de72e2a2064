#!/usr/bin/env bash
# The recipe with the LM at lr 1e-5 (the mixing head at 300x, i.e. the same 3e-3 as the preset's 1e-4 x 30), seeds 1 and 3
# (seed 2 ran as lr1e5_s2), and the plain LM at the same lr for equal steps on seeds 1-3.
Q="dotnet ${BIN:-/work/bin-r}/quietstar.dll"
export OMP_NUM_THREADS=1
cd /work/main
for seed in 1 3; do
  $Q train --preset arithmetic --seed $seed --lr 1e-5 --head-lr-mult 300 --out /work/exp/lr1e5_s$seed > /work/exp/lr1e5_s$seed.json 2> /work/exp/lr1e5_s$seed.err &
done
wait
for seed in 1 2 3; do
  $Q train --preset arithmetic --no-thoughts --seed $seed --lr 1e-5 --out /work/exp/plain_lr1e5_s$seed > /work/exp/plain_lr1e5_s$seed.json 2> /work/exp/plain_lr1e5_s$seed.err
done
