#!/usr/bin/env bash
# ctl_len.sh NAME SEED — the same checkpoint evaluated with shorter thoughts (1 and 3 tokens) on the confirmation text.
set -u
name=$1; seed=$2
Q="dotnet /work/abl/bin2/quietstar.dll"
R=/work/abl/res; RUNS=/work/abl/runs
export LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
for t in 1 3; do
  $Q eval --task text --data /work/abl/gsm8k_test_confirm.txt --seq-len 128 --limit 60000 --model "$RUNS/$name/checkpoint" \
     --baseline "$RUNS/plain_s$seed/checkpoint" --thought-tokens $t > "$R/$name.conf-t$t.json" 2> "$R/$name.conf-t$t.err"
done
