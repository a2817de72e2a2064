#!/usr/bin/env bash
Q="dotnet /work/bin-r/quietstar.dll"
export OMP_NUM_THREADS=1
cd /work/main
$Q train --preset arithmetic --seed 2 --lr 1e-5 --head-lr-mult 300 --steps 160 --out /work/exp/lr1e5_160_s2 > /work/exp/lr1e5_160_s2.json 2> /work/exp/lr1e5_160_s2.err &
$Q train --preset arithmetic --seed 2 --lr 1e-5 --head-lr-mult 1000 --out /work/exp/lr1e5_h1000_s2 > /work/exp/lr1e5_h1000_s2.json 2> /work/exp/lr1e5_h1000_s2.err &
wait
