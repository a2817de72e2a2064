#!/usr/bin/env bash
# Issue 15, session 20: c905d9a against main with the CPU attention kernel (CpuBranchAttention), whole processes in turn
# (../alternate.sh: A B A B ..., tcmalloc, OMP_WAIT_POLICY=PASSIVE as each CLI sets it), raw JSON lines kept here.
#   run.sh t1     reference configuration, 1 thread, 3 pairs x 3 steps      -> ref_t1_{c905d9a,kernel}.jsonl
#   run.sh t2     reference configuration, 2 threads, 3 pairs x 3 steps     -> ref_t2_{c905d9a,kernel}.jsonl
#   run.sh main   main before the kernel (0377ed3) against the kernel, 1 thread, 2 pairs -> ref_main_{main0377ed3,kernel}.jsonl
#   run.sh dim256 the dim-256 random Llama (MODEL, written by the snippet in docs/performance.md), 1 thread, 2 pairs x 2 steps
#                 -> dim256_t1_{c905d9a,kernel}.jsonl
#   run.sh dim256t2 the same at 2 threads, 1 pair x 2 steps -> dim256_t2_{c905d9a,kernel}.jsonl
#   run.sh scaling c905d9a against the kernel over L (128, 384 at T = 9) and T (3, 16 at L = 256), 1 thread, 1 pair x 2 steps
#                 each -> scaling_L<L>_T<T>_{c905d9a,kernel}.jsonl (L 256, T 9 is the t1 part)
#   run.sh long   the long end, 1 thread, 1 pair x 2 steps: L 498 (stories260K's context, T 9) against c905d9a ->
#                 long_L498_{c905d9a,kernel}.jsonl; L 1024 on the random dim-64 model with a 2,048 context (LONG_MODEL, the
#                 snippet in docs/performance.md) against main 0377ed3 (c905d9a would need ~20 GB) -> long_L1024_{main0377ed3,kernel}.jsonl
#   run.sh extra  the figures beside the tables: breakdown_t1.jsonl (NEW) and breakdown_main0377ed3_t1.jsonl (OLD)
#                 (bench train --breakdown, 1 thread), sgemm_t1_zen5_extra.jsonl (../bound/sgemm, 1 thread, load 2.0;
#                 sgemm_t1_zen5.jsonl is the same harness run by hand at the start of the session, load ≈ 1, the figure the docs
#                 cite), sdpa_t1.jsonl (../attention, 1 thread), perf_kernel.txt (perf record of NEW, 6 steps).
#                 perf_main0377ed3.txt was made by hand the same way from OLD (4 steps), before this script existed.
# BASE = c905d9a's Release CLI, OLD = 0377ed3's, NEW = the kernel's (dotnet publish samples/QuietStar.Cli -c Release -o DIR;
# the tables' runs used 1215c1e, first_eb82b22/ used eb82b22). Each part appends to the JSON files here, so a rerun adds
# pairs to them (tabulate.py refuses files whose run counts differ). The t1 and main parts first shared the prefix ref_t1;
# their lines were split into ref_t1_* and ref_main_* by run order right after the runs, and the main part now writes
# ref_main_* itself. Tables: python3 tabulate.py [folder]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BASE=${BASE:-/work/bench/base/quietstar.dll}
OLD=${OLD:-/work/bench/main/quietstar.dll}
NEW=${NEW:-/work/bench/new/quietstar.dll}
MODEL=${MODEL:-/work/bench/dim256}
LONG_MODEL=${LONG_MODEL:-/work/bench/dim64_ctx2048}
part=${1:-t1}
log() { echo "$(date -u +%H:%M:%S) $part $1: load $(cut -d' ' -f1-3 /proc/loadavg) cpu $(grep -m1 -E '^cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')/$(grep -m1 -E '^model\s' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')" >> "$here/load.log"; }
pairs() { # THREADS PAIRS PREFIX NAME_A DLL_A NAME_B DLL_B [bench train options; default --steps 3 --warmup 1]
  local threads=$1 n=$2 prefix=$3 name_a=$4 dll_a=$5 name_b=$6 dll_b=$7; shift 7
  (($# > 0)) || set -- --steps 3 --warmup 1
  local tmp; tmp=$(mktemp -d)
  THREADS=$threads "$here/../alternate.sh" "$tmp" "$n" "$name_a" "$dll_a" "$name_b" "$dll_b" -- bench train "$@"
  cat "$tmp/$name_a.jsonl" >> "$here/${prefix}_$name_a.jsonl"; cat "$tmp/$name_b.jsonl" >> "$here/${prefix}_$name_b.jsonl"
}
log start
case $part in
  t1) pairs 1 3 ref_t1 c905d9a "$BASE" kernel "$NEW" ;;
  t2) pairs 2 3 ref_t2 c905d9a "$BASE" kernel "$NEW" ;;
  main) pairs 1 2 ref_main main0377ed3 "$OLD" kernel "$NEW" ;;
  dim256) pairs 1 2 dim256_t1 c905d9a "$BASE" kernel "$NEW" --model "$MODEL" --steps 2 --warmup 1 ;;
  dim256t2) pairs 2 1 dim256_t2 c905d9a "$BASE" kernel "$NEW" --model "$MODEL" --steps 2 --warmup 1 ;;
  scaling)
    for l in 128 384; do pairs 1 1 "scaling_L${l}_T9" c905d9a "$BASE" kernel "$NEW" --seq-len "$l" --steps 2 --warmup 1; done
    for t in 3 16; do pairs 1 1 "scaling_L256_T${t}" c905d9a "$BASE" kernel "$NEW" --thought-tokens "$t" --steps 2 --warmup 1; done ;;
  long)
    pairs 1 1 long_L498 c905d9a "$BASE" kernel "$NEW" --seq-len 498 --steps 2 --warmup 1
    pairs 1 1 long_L1024 main0377ed3 "$OLD" kernel "$NEW" --model "$LONG_MODEL" --seq-len 1024 --steps 2 --warmup 1 ;;
  extra)
    env OMP_NUM_THREADS=1 LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 dotnet "$NEW" bench train --steps 3 --warmup 1 --breakdown 2>/dev/null > "$here/breakdown_t1.jsonl"
    env OMP_NUM_THREADS=1 LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 dotnet "$OLD" bench train --steps 3 --warmup 1 --breakdown 2>/dev/null > "$here/breakdown_main0377ed3_t1.jsonl"
    dotnet build "$here/../bound/sgemm" -c Release >/dev/null && env OMP_NUM_THREADS=1 LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 dotnet "$here/../bound/sgemm/bin/Release/net10.0/sgemm.dll" 1 > "$here/sgemm_t1_zen5_extra.jsonl"
    dotnet build "$here/../attention" -c Release >/dev/null && env OMP_NUM_THREADS=1 LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 dotnet "$here/../attention/bin/Release/net10.0/attention.dll" 1 > "$here/../attention/sdpa_t1.jsonl"
    env OMP_NUM_THREADS=1 LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 \
      perf record -F 499 -o /tmp/perf_kernel.data dotnet "$NEW" bench train --steps 6 --warmup 1 >/dev/null 2>&1
    perf report -i /tmp/perf_kernel.data --no-children --sort symbol 2>/dev/null | grep '%' | cut -c1-160 | sed -n 1,40p > "$here/perf_kernel.txt" ;;
  *) echo "usage: run.sh t1|t2|main|dim256|dim256t2|scaling|long|extra" >&2; exit 2 ;;
esac
log end
