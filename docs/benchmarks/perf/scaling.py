#!/usr/bin/env python3
"""Step time and peak RSS over L and T from raw/scaling_* (plus the L = 256, T = 9 point of raw_quiet/train_ref_t1),
with least-squares exponents of time ~ L^a and RSS ~ L^b per build (T = 9, stories260K)."""
import json
import math
import statistics
from pathlib import Path

here = Path(__file__).parent
points = {}  # (build, L, T) -> (median s/step, median CPU s/step or None, peak MB)


def add(folder, seq, thoughts, rename=None):
    for path in sorted(folder.glob("*.jsonl")):
        runs = [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]
        if not runs:
            continue
        steps = [s for r in runs for s in r["step_seconds"]]
        cpu = [c for r in runs for c in r.get("step_cpu_seconds", [])]
        name = (rename or {}).get(path.stem, path.stem)
        points[(name, seq, thoughts)] = (statistics.median(steps), statistics.median(cpu) if cpu else None,
                                         statistics.median(r["peak_rss_mb"] for r in runs))


for folder in sorted((here / "raw").glob("scaling_L*")):
    parts = folder.name.split("_")
    add(folder, int(parts[1][1:]), int(parts[2][1:]))
quiet = here / "raw_quiet" / "train_ref_t1_base_once"
if quiet.exists():
    add(quiet, 256, 9, {"new_base_once": "new", "base": "c905d9a"})

print("| build | L | T | median s/step | CPU s/step | peak RSS MB |")
print("| --- | --- | --- | --- | --- | --- |")
for (build, seq, thoughts), (t, c, m) in sorted(points.items()):
    print(f"| {build} | {seq} | {thoughts} | {t:.2f} | {'' if c is None else f'{c:.2f}'} | {m:,.0f} |")

for build in sorted({b for b, _, _ in points}):
    series = sorted((seq, v) for (b, seq, thoughts), v in points.items() if b == build and thoughts == 9 and seq <= 512)
    if len(series) < 3:
        continue
    xs = [math.log(seq) for seq, _ in series]

    def slope(ys):
        mx, my = statistics.mean(xs), statistics.mean(ys)
        return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)

    time_key = 1 if all(v[1] is not None for _, v in series) else 0
    a = slope([math.log(v[time_key]) for _, v in series])
    b = slope([math.log(v[2]) for _, v in series])
    print(f"\n{build}: {'CPU ' if time_key else ''}time ~ L^{a:.2f}, peak RSS ~ L^{b:.2f} over L = {[s for s, _ in series]} (T = 9)")
