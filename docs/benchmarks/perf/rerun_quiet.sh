#!/usr/bin/env bash
# The training comparison of run_all.sh repeated once the machine's other jobs had ended (load average < 4), into
# raw_quiet/: c905d9a against this branch's backbone (4b76add) and against the branch with the base pass once (7587ad0).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BASE=${BASE:-/work/bench/base/quietstar.dll}
NEW=${NEW:-/work/bench/new/quietstar.dll}
NEW2=${NEW2:-/work/bench/v8/quietstar.dll}
out=$here/raw_quiet
alt=$here/alternate.sh
TRAIN="bench train --steps 3 --warmup 1"
THREADS=1 $alt "$out/train_ref_t1" 3 base "$BASE" new "$NEW" -- $TRAIN
THREADS=1 $alt "$out/train_ref_t1_base_once" 3 base "$BASE" new_base_once "$NEW2" -- $TRAIN
THREADS=2 $alt "$out/train_ref_t2" 3 base "$BASE" new_base_once "$NEW2" -- $TRAIN
HYB=${HYB:-/work/bench/hyb/quietstar.dll}
DECODE="bench decode --repeats 7 --warmup 1"
THREADS=1 $alt "$out/decode_b1_t1" 3 base "$BASE" new "$NEW2" -- $DECODE
THREADS=1 $alt "$out/decode_b8_t1" 2 old_backbone "$HYB" new "$NEW2" -- $DECODE --batch 8
