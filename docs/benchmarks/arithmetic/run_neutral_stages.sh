#!/usr/bin/env bash
# Stages 2 and 3 of the neutral-init REINFORCE run (resumed, bit for bit an uninterrupted run), after stage 1 ends.
set -u
out=${OUT:-/work/exp}
while pgrep -f "out $out/neutral_norm1_s1_40\$" > /dev/null; do sleep 10; done
Q="dotnet /work/bin-final2/quietstar.dll"
$Q train --preset arithmetic --resume $out/neutral_norm1_s1_40 --steps 80 --out $out/neutral_norm1_s1_80 > $out/neutral_norm1_s1_80.json 2> $out/neutral_norm1_s1_80.err
$Q train --preset arithmetic --resume $out/neutral_norm1_s1_80 --steps 120 --out $out/neutral_norm1_s1 > $out/neutral_norm1_s1.json 2> $out/neutral_norm1_s1.err
