#!/usr/bin/env python3
"""Step time and peak RSS of the merged main over L (T = 9) and T (L = 256) from scaling/*.jsonl and train_t1/new.jsonl,
with least-squares exponents of time ~ L^a and RSS ~ L^b over L = 128 ... 498."""
import json
import math
import statistics
from pathlib import Path

here = Path(__file__).parent
points = {}
for path in sorted((here / "scaling").glob("*.jsonl")):
    l, t = path.stem.split("_")
    points[(int(l[1:]), int(t[1:]))] = [json.loads(x) for x in path.read_text().splitlines() if x.startswith("{")]
points[(256, 9)] = [json.loads(x) for x in (here / "train_t1" / "new.jsonl").read_text().splitlines() if x.startswith("{")]

print("| L | T | s/step (median) | CPU s/step | peak RSS MB |\n| --- | --- | --- | --- | --- |")
rows = {}
for (l, t), runs in sorted(points.items()):
    steps = [s for r in runs for s in r["step_seconds"]]
    cpu = [c for r in runs for c in r["step_cpu_seconds"]]
    rss = statistics.median(r["peak_rss_mb"] for r in runs)
    rows[(l, t)] = (statistics.median(steps), statistics.median(cpu), rss)
    print(f"| {l} | {t} | {rows[(l, t)][0]:.2f} | {rows[(l, t)][1]:.2f} | {rss:,.0f} |")


def slope(xs, ys):
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = statistics.mean(lx), statistics.mean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


ls = sorted(l for (l, t) in rows if t == 9)
print(f"\nT = 9, L = {ls[0]} … {ls[-1]}: CPU time ∝ L^{slope(ls, [rows[(l, 9)][1] for l in ls]):.2f}, "
      f"wall ∝ L^{slope(ls, [rows[(l, 9)][0] for l in ls]):.2f}, peak RSS ∝ L^{slope(ls, [rows[(l, 9)][2] for l in ls]):.2f}")
