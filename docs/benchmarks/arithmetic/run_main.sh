#!/usr/bin/env bash
# Part 1 of docs/experiments.md: the arithmetic preset (aligned init) and its equal-steps plain LM, three seeds each.
set -u
Q="dotnet /work/bin-final/quietstar.dll"
out=${OUT:-/work/exp}
for seed in 1 2 3; do
  $Q train --preset arithmetic --seed $seed --out $out/aligned_s$seed > $out/aligned_s$seed.json 2> $out/aligned_s$seed.err
  $Q train --preset arithmetic --no-thoughts --seed $seed --out $out/plain_s$seed > $out/plain_s$seed.json 2> $out/plain_s$seed.err
done
