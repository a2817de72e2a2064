#!/usr/bin/env bash
# Runs two builds of the CLI in turn, A B A B ..., as whole processes, and appends each run's JSON line to
# OUT/<name>.jsonl. Usage:
#   THREADS=1 ALLOC=tcmalloc alternate.sh OUT PAIRS NAME_A DLL_A NAME_B DLL_B -- bench train --steps 3 --warmup 1
# THREADS sets OMP_NUM_THREADS for both builds (the c905d9a build has no --threads); ALLOC=tcmalloc preloads
# libtcmalloc_minimal (Debian libtcmalloc-minimal4), ALLOC=glibc does not.
set -euo pipefail
out=$1 pairs=$2 name_a=$3 dll_a=$4 name_b=$5 dll_b=$6
shift 6
[[ $1 == -- ]] && shift
mkdir -p "$out"
preload=""
[[ ${ALLOC:-tcmalloc} == tcmalloc ]] && preload=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
for ((i = 1; i <= pairs; i++)); do
  for v in a b; do
    if [[ $v == a ]]; then name=$name_a dll=$dll_a; else name=$name_b dll=$dll_b; fi
    echo "$(date -u +%H:%M:%S) pair $i/$pairs $name: $*" >&2
    env OMP_NUM_THREADS="${THREADS:-1}" LD_PRELOAD="$preload" dotnet "$dll" "$@" 2>/dev/null >> "$out/$name.jsonl" \
      || echo "run failed: $name $*" >&2
  done
done
