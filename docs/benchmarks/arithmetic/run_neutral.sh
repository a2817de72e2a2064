#!/usr/bin/env bash
# Part 1 of docs/experiments.md: the paper's neutral init ("---" for START and END) at policy weight > 0 and 0.
# The REINFORCE run goes in three resumed stages (bit for bit an uninterrupted run) so that its thoughts can be
# quoted at steps 40, 80 and 120 (each stage's JSON scores exact match and shows the thoughts after it).
set -u
Q="dotnet /work/bin-final/quietstar.dll"
out=${OUT:-/work/exp}
N="--preset arithmetic --seed 1 --start-init=--- --end-init=---"
$Q train $N --steps 40 --policy-weight 1 --normalize-advantages --out $out/neutral_norm1_s1_40 > $out/neutral_norm1_s1_40.json 2> $out/neutral_norm1_s1_40.err
dotnet /work/bin-final2/quietstar.dll train --preset arithmetic --resume $out/neutral_norm1_s1_40 --steps 80 --out $out/neutral_norm1_s1_80 > $out/neutral_norm1_s1_80.json 2> $out/neutral_norm1_s1_80.err
dotnet /work/bin-final2/quietstar.dll train --preset arithmetic --resume $out/neutral_norm1_s1_80 --steps 120 --out $out/neutral_norm1_s1 > $out/neutral_norm1_s1.json 2> $out/neutral_norm1_s1.err
$Q train $N --steps 120 --policy-weight 0 --out $out/neutral_w0_s1 > $out/neutral_w0_s1.json 2> $out/neutral_w0_s1.err
