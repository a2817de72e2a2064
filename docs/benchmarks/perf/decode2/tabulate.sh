#!/usr/bin/env bash
# Prints the tables of one set of runs (median, p25–p75, min–max over every timed run; per-pair ratios):
#   ./tabulate.sh 5016768     (the final build)      ./tabulate.sh f3f8e59     (the first three rounds)
here=$(cd "$(dirname "$0")" && pwd)
dir=$here/${1:-5016768}
python3 "$here/../tabulate.py" "$dir"
cat "$dir/load.log"
