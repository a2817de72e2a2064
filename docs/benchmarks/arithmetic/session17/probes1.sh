#!/usr/bin/env bash
Q="dotnet /work/bin-exp/quietstar.dll"
export OMP_NUM_THREADS=1
cd /work/main
$Q train --preset arithmetic --seed 2 --steps 40 --out /work/exp/s40_s2 > /work/exp/s40_s2.json 2> /work/exp/s40_s2.err &
$Q train --preset arithmetic --seed 2 --policy-weight 1 --normalize-advantages --out /work/exp/norm1_s2 > /work/exp/norm1_s2.json 2> /work/exp/norm1_s2.err &
wait
