#!/usr/bin/env bash
# Per-problem exact match of every checkpoint of part 1 on the same 200 held-out problems (the preset's own set),
# in each decoding, for the tables and paired intervals of docs/experiments.md.
set -u
Q="dotnet ${BIN:-/work/bin-eval}/quietstar.dll"
out=${OUT:-/work/exp}
mkdir -p $out/evals
V=$out/val200.jsonl
E="eval --task gsm8k --exact-match --data $V --batch 25 --max-tokens 7"
$Q $E --model /work/main/data/arithmetic/model > $out/evals/pretrained_terse.json 2>/dev/null
$Q $E --model /work/main/data/arithmetic/model --answer-prefix "(" --answer-after ")" --max-tokens 16 > $out/evals/pretrained_worked.json 2>/dev/null
for run in "$@"; do
  ck=$out/$run/checkpoint
  [ -d $ck ] || continue
  case $run in
    plain_*) $Q $E --model $ck --no-thoughts > $out/evals/${run}__none.json 2>/dev/null ;;
    *)
      $Q $E --model $ck --no-thoughts > $out/evals/${run}__none.json 2>/dev/null
      $Q $E --model $ck --decoding think-then-speak > $out/evals/${run}__speak_model.json 2>/dev/null
      $Q $E --model $ck --decoding think-then-speak --thought-sampling greedy > $out/evals/${run}__speak_greedy.json 2>/dev/null
      $Q $E --model $ck --decoding think-then-speak --thought-sampling uniform > $out/evals/${run}__speak_uniform.json 2>/dev/null
      $Q $E --model $ck --decoding every-token > $out/evals/${run}__every_model.json 2>/dev/null
      $Q $E --model $ck --decoding every-token --thought-sampling greedy > $out/evals/${run}__every_greedy.json 2>/dev/null
      ;;
  esac
done
