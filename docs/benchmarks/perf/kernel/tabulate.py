#!/usr/bin/env python3
"""Tables of docs/benchmarks/perf/kernel (issue 15, session 20): per pair (runs in turn, A B A B ...), each build's median
step time over its timed steps, the ratio c905d9a / kernel pair by pair, peak RSS and its ratio.
Usage: python3 tabulate.py [folder]   (default: this folder; first_eb82b22 holds the first kernel's runs)"""
import glob
import json
import os
import statistics
import sys

here = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))


def rows(path):
    return [json.loads(line) for line in open(path) if line.strip()]


def fmt(xs, digits=2):
    return ", ".join(f"{x:.{digits}f}" for x in xs)


prefixes = sorted({os.path.basename(p).rsplit("_", 1)[0] for p in glob.glob(os.path.join(here, "*.jsonl"))})
print("| what | A | A s/step (median per run) | kernel s/step | ratio per pair | peak RSS A → kernel | threads, allocator |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for prefix in prefixes:
    files = sorted(glob.glob(os.path.join(here, f"{prefix}_*.jsonl")))
    new = [f for f in files if f.endswith("_kernel.jsonl")]
    old = [f for f in files if not f.endswith("_kernel.jsonl")]
    if not new or not old:
        continue
    a, b = rows(old[0]), rows(new[0])
    if len(a) != len(b):
        sys.exit(f"{prefix}: {len(a)} runs of {os.path.basename(old[0])} against {len(b)} of {os.path.basename(new[0])}; pairs are by order, so the counts must match")
    name = os.path.basename(old[0])[len(prefix) + 1:-len(".jsonl")]
    ta = [r["seconds_per_step_median"] for r in a]
    tb = [r["seconds_per_step_median"] for r in b]
    ratios = [x / y for x, y in zip(ta, tb)]
    ra = [r["peak_rss_mb"] for r in a]
    rb = [r["peak_rss_mb"] for r in b]
    rt = b[0]["runtime"]
    print(f"| {prefix} | {name} | {fmt(ta)} | {fmt(tb)} | {fmt(ratios)} (median {statistics.median(ratios):.2f}) | "
          f"{min(ra):,.0f}–{max(ra):,.0f} → {min(rb):,.0f}–{max(rb):,.0f} MB ({statistics.median(rb) / statistics.median(ra):.2f}×) | "
          f"{rt['torch_threads']}, {rt['allocator']} |")
