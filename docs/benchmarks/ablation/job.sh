#!/usr/bin/env bash
# job.sh NAME SEED CONFIRM(0|1) [train flags...]  — train one row, then evaluate it against the plain LM of its seed.
set -u
name=$1; seed=$2; confirm=$3; shift 3
Q="dotnet /work/abl/bin/quietstar.dll"
R=/work/abl/res; RUNS=/work/abl/runs
export LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
t0=$(date +%s.%N)
$Q train --eval-every 0 --seed "$seed" --out "$RUNS/$name" "$@" > "$R/$name.train.json" 2> "$R/$name.train.err"
echo "{\"train_wall_s\": $(echo "$(date +%s.%N)-$t0" | bc)}" > "$R/$name.wall.json"
base=$RUNS/plain_s$seed/checkpoint
ev() { # tag data limit extra...
  local tag=$1 data=$2 lim=$3; shift 3
  local t1=$(date +%s.%N)
  $Q eval --task text --data "$data" --seq-len 128 --limit "$lim" --model "$RUNS/$name/checkpoint" --baseline "$base" "$@" > "$R/$name.$tag.json" 2> "$R/$name.$tag.err"
  echo "{\"wall_s\": $(echo "$(date +%s.%N)-$t1" | bc)}" > "$R/$name.$tag.wall.json"
}
if [[ "$name" == plain_* ]]; then
  ev sel /work/abl/gsm8k_test.txt 30000 --no-thoughts
  [[ $confirm == 1 ]] && ev conf /work/abl/gsm8k_test_confirm.txt 60000 --no-thoughts
else
  ev sel /work/abl/gsm8k_test.txt 30000
  ev selbase /work/abl/gsm8k_test.txt 30000 --no-thoughts
  if [[ $confirm == 1 ]]; then
    ev conf /work/abl/gsm8k_test_confirm.txt 60000
    ev confbase /work/abl/gsm8k_test_confirm.txt 60000 --no-thoughts
  fi
fi
echo "$(date +%T) done $name" >> /work/abl/progress.log
