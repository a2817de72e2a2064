#!/usr/bin/env bash
# ctl.sh NAME SEED — thought-content controls for a trained row: its checkpoint evaluated with greedy and with uniformly random thoughts.
set -u
name=$1; seed=$2
Q="dotnet /work/abl/bin2/quietstar.dll"
R=/work/abl/res; RUNS=/work/abl/runs
export LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
base=$RUNS/plain_s$seed/checkpoint
for mode in uniform greedy; do
  for text in sel conf; do
    if [[ $text == sel ]]; then data=/work/abl/gsm8k_test.txt; lim=30000; else data=/work/abl/gsm8k_test_confirm.txt; lim=60000; fi
    t1=$(date +%s.%N)
    $Q eval --task text --data "$data" --seq-len 128 --limit "$lim" --model "$RUNS/$name/checkpoint" --baseline "$base" --thought-sampling $mode > "$R/$name.$text-$mode.json" 2> "$R/$name.$text-$mode.err"
    echo "{\"wall_s\": $(echo "$(date +%s.%N)-$t1" | bc)}" > "$R/$name.$text-$mode.wall.json"
  done
done
echo "$(date +%T) done ctl $name" >> /work/abl/progress.log
