#!/usr/bin/env bash
# The 80-step lr 1e-5 runs resumed to 160 steps (constant schedule: bit for bit one 160-step run), and the plain LM
# for 160 equal steps at lr 1e-5 (the same recipe without thoughts) and at lr 1e-4 (the preset's earlier rate).
Q="dotnet ${BIN:-/work/bin-r}/quietstar.dll"
export OMP_NUM_THREADS=1
cd /work/main
for seed in 1 3; do
  $Q train --preset arithmetic --resume /work/exp/lr1e5_s$seed --steps 160 --out /work/exp/lr1e5_160_s$seed > /work/exp/lr1e5_160_s$seed.json 2> /work/exp/lr1e5_160_s$seed.err &
done
for seed in 1 2 3; do
  $Q train --preset arithmetic --no-thoughts --seed $seed --lr 1e-5 --steps 160 --out /work/exp/plain160_lr1e5_s$seed > /work/exp/plain160_lr1e5_s$seed.json 2> /work/exp/plain160_lr1e5_s$seed.err
  $Q train --preset arithmetic --no-thoughts --seed $seed --lr 1e-4 --steps 160 --out /work/exp/plain160_lr1e4_s$seed > /work/exp/plain160_lr1e4_s$seed.json 2> /work/exp/plain160_lr1e4_s$seed.err
done
wait
