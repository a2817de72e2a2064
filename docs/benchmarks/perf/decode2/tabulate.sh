#!/usr/bin/env bash
# Prints the tables of this folder's runs (median, p25–p75, min–max over every timed run; per-pair ratios).
here=$(cd "$(dirname "$0")" && pwd)
python3 "$here/../tabulate.py" "$here"
cat "$here/load.log"
