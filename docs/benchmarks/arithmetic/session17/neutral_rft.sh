#!/usr/bin/env bash
# Neutral init (the paper's "---"), REINFORCE with the reward scored by the thought branch's own prediction
# (--reward-from-thought), normalised advantages, policy weight 1; staged 40/80/120 steps to quote thoughts as they change.
set -u
Q="dotnet ${BIN:-/work/bin-r}/quietstar.dll"
out=${OUT:-/work/exp}
export OMP_NUM_THREADS=${THREADS:-1}
cd /work/main
N="--preset arithmetic --seed 1 --start-init=--- --end-init=---"
$Q train $N --steps 40 --policy-weight 1 --normalize-advantages --reward-from-thought --out $out/neutral_rft_s1_40 > $out/neutral_rft_s1_40.json 2> $out/neutral_rft_s1_40.err
$Q train --preset arithmetic --resume $out/neutral_rft_s1_40 --steps 80 --out $out/neutral_rft_s1_80 > $out/neutral_rft_s1_80.json 2> $out/neutral_rft_s1_80.err
$Q train --preset arithmetic --resume $out/neutral_rft_s1_80 --steps 120 --out $out/neutral_rft_s1 > $out/neutral_rft_s1.json 2> $out/neutral_rft_s1.err
