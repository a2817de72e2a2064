#!/usr/bin/env bash
# Issue 15, training part, second round (branch feat/c15t): c905d9a's CLI against this branch's CLI, and main 7b6b09b
# against this branch (lever-by-lever CPU breakdown), as whole processes in turn (alternate.sh), tcmalloc preloaded.
# BASE = c905d9a's CLI, MAIN = main 7b6b09b's CLI, NEW = this branch's CLI (each a copy of samples/QuietStar.Cli/bin/Release/net10.0).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
alt=$here/../alternate.sh
BASE=${BASE:-/work/bench/base/quietstar.dll}
MAIN=${MAIN:-/work/bench/tr-0/quietstar.dll}
NEW=${NEW:-/work/bench/tr-6/quietstar.dll}
TRAIN="bench train --steps 3 --warmup 1"
what=${1:-all}
log() { echo "$(date -u +%H:%M:%S) $*; $(uptime)" >> "$here/load.log"; }
if [[ $what == all || $what == t1 ]]; then log t1; THREADS=1 $alt "$here/ref_t1" 3 base "$BASE" new "$NEW" -- $TRAIN; log t1 end; fi
if [[ $what == all || $what == main ]]; then log main; THREADS=1 $alt "$here/ref_t1_main" 2 main "$MAIN" new "$NEW" -- bench train --steps 2 --warmup 1 --breakdown; log main end; fi
if [[ $what == all || $what == t2 ]]; then log t2; THREADS=2 $alt "$here/ref_t2" 3 base "$BASE" new "$NEW" -- $TRAIN; log t2 end; fi
if [[ $what == all || $what == dim256 ]]; then log dim256; THREADS=1 $alt "$here/dim256_t1" 2 base "$BASE" new "$NEW" -- bench train --model /work/bench/dim256 --steps 2 --warmup 1; log dim256 end; fi
