#!/usr/bin/env bash
# Part 1 of docs/experiments.md, the honesty check: a plain LM given the Quiet-STaR run's wall time instead of its
# step count (2,000 steps of the same terse corpus, seed 1), after the main runs.
set -u
out=${OUT:-/work/exp}
while pgrep -f run_main.sh > /dev/null; do sleep 10; done
Q="dotnet /work/bin-final2/quietstar.dll"
$Q train --preset arithmetic --no-thoughts --seed 1 --steps 2000 --eval-every 500 --out $out/plain_time_s1 > $out/plain_time_s1.json 2> $out/plain_time_s1.err
