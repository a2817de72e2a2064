#!/usr/bin/env bash
# Part 1 of docs/experiments.md: policy weight > 0 on top of the aligned init (normalised and raw advantages), and raw
# advantages from the neutral init; seed 1, after the neutral runs.
set -u
out=${OUT:-/work/exp}
while pgrep -f "run_neutral" > /dev/null || pgrep -f "out $out/neutral_w0_s1\$" > /dev/null; do sleep 10; done
Q="dotnet /work/bin-final2/quietstar.dll"
$Q train --preset arithmetic --seed 1 --policy-weight 1 --normalize-advantages --out $out/aligned_norm1_s1 > $out/aligned_norm1_s1.json 2> $out/aligned_norm1_s1.err
$Q train --preset arithmetic --seed 1 --policy-weight 1 --out $out/aligned_raw1_s1 > $out/aligned_raw1_s1.json 2> $out/aligned_raw1_s1.err
$Q train --preset arithmetic --seed 1 --steps 120 --start-init=--- --end-init=--- --policy-weight 1 --out $out/neutral_raw1_s1 > $out/neutral_raw1_s1.json 2> $out/neutral_raw1_s1.err
