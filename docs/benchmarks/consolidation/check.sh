#!/usr/bin/env bash
# Issue 12's "no number changes" check: runs the CLI's train / eval / generate on fixed seeds with one thread and
# writes their outputs (timing fields dropped) into OUT. Run it on two commits and diff the folders:
#   docs/benchmarks/consolidation/check.sh /tmp/c-ref     (on the base commit, after a Release build)
#   docs/benchmarks/consolidation/check.sh /tmp/c-new     (on the changed tree, after a Release build)
#   diff -r /tmp/c-ref/out /tmp/c-new/out && echo bit-identical
set -euo pipefail
OUT=${1:?output folder}
cd "$(dirname "$0")/../../.."
Q="dotnet samples/QuietStar.Cli/bin/Release/net10.0/quietstar.dll"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
rm -rf "$OUT"; mkdir -p "$OUT/out"
strip() { python3 -c '
import json,sys
DROP={"seconds","tokens_per_second","peak_rss","peak_rss_bytes","runtime","elapsed","elapsed_seconds","started","finished","out","run","checkpoint","curves","path"}
def clean(o):
    if isinstance(o,dict): return {k:clean(v) for k,v in o.items() if k not in DROP and "second" not in k and "rss" not in k and "time" not in k}
    if isinstance(o,list): return [clean(v) for v in o]
    return o
for line in sys.stdin:
    line=line.strip()
    if not line: continue
    try: print(json.dumps(clean(json.loads(line)),sort_keys=True))
    except json.JSONDecodeError: print(line)
'; }
$Q train --steps 20 --seed 3 --out "$OUT/run" 2>/dev/null | strip > "$OUT/out/train.json"
$Q train --steps 6 --lm-steps 3 --seed 3 --eval-every 3 --out "$OUT/run-lm" 2>/dev/null | strip > "$OUT/out/train_lm_steps.json"
$Q train --steps 4 --no-thoughts --seed 3 --out "$OUT/run-plain" 2>/dev/null | strip > "$OUT/out/train_no_thoughts.json"
$Q train --steps 24 --resume "$OUT/run" --seed 3 --out "$OUT/run-resumed" 2>/dev/null | strip > "$OUT/out/train_resumed.json"
head -c 3000 data/math-corpus/gsm8k_train.txt > "$OUT/text.txt"
$Q eval --task text --data "$OUT/text.txt" --model "$OUT/run" --seed 3 2>/dev/null | strip > "$OUT/out/eval_text_thoughts.json"
$Q eval --task text --data "$OUT/text.txt" --model "$OUT/run" --no-thoughts 2>/dev/null | strip > "$OUT/out/eval_text_plain.json"
$Q eval --task text --data "$OUT/text.txt" 2>/dev/null | strip > "$OUT/out/eval_text_default.json"
$Q eval --task text --data "$OUT/text.txt" --model "$OUT/run" --baseline "$OUT/run" --no-thoughts --seed 3 2>/dev/null | strip > "$OUT/out/eval_text_baseline.json" || true
$Q eval --task gsm8k --limit 6 --exact-match --max-tokens 12 --model "$OUT/run" --seed 3 2>/dev/null | strip > "$OUT/out/eval_exact.json"
$Q eval --task gsm8k --limit 8 --model "$OUT/run" --seed 3 2>/dev/null | strip > "$OUT/out/eval_gsm8k.json"
$Q generate --prompt "Once upon a time" --greedy --max-tokens 40 > "$OUT/out/gen_plain.txt" 2>/dev/null
$Q generate --model "$OUT/run" --prompt "Once upon a time" --greedy --seed 3 --max-tokens 30 --thoughts --show-thoughts \
  > "$OUT/out/gen_thoughts.txt" 2> "$OUT/out/gen_thoughts.stderr"
$Q generate --model "$OUT/run" --prompt "Once upon a time" --greedy --max-tokens 30 --no-thoughts > "$OUT/out/gen_ckpt_plain.txt" 2>/dev/null
$Q generate --prompt "Once upon a time" --greedy --seed 3 --max-tokens 20 --thoughts --show-thoughts \
  > "$OUT/out/gen_fresh_thoughts.txt" 2> "$OUT/out/gen_fresh_thoughts.stderr"
for f in "$OUT"/out/*.stderr; do sed -E -i 's/; loaded in [0-9]+ ms//; /tokens in [0-9.]+ s \(/d' "$f"; done
sha256sum "$OUT"/run/checkpoint/*.safetensors | sed "s#$OUT/##" > "$OUT/out/checkpoint.sha256"
sed -i "s#$OUT#OUT#g" "$OUT"/out/*
echo "written to $OUT/out"
