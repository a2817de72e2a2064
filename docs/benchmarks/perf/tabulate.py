#!/usr/bin/env python3
"""Tables for docs/performance.md from the JSON lines that run_all.sh / alternate.sh appended under raw/.

train: every timed step of every run of a build pooled (median, p25-p75, min-max), peak RSS as the median of the
runs' peaks, and the ratio of medians; decode: every timed run pooled the same way, for base and quiet decoding."""
import json
import statistics
import sys
from pathlib import Path


def quantile(values, q):
    values = sorted(values)
    pos = (len(values) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def runs(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip().startswith("{")]


def train(folder):
    rows, medians, breakdowns = [], {}, []
    for path in sorted(folder.glob("*.jsonl")):
        rs = runs(path)
        if not rs:
            continue
        steps = [s for r in rs for s in r["step_seconds"]]
        peaks = [r["peak_rss_mb"] for r in rs]
        cpu = [c for r in rs for c in r.get("step_cpu_seconds", [])]
        rt = rs[0]["runtime"]
        medians[path.stem] = (statistics.median(steps), statistics.median(peaks))
        rows.append(f"| {path.stem} | {rt['torch_threads']} | {rt['allocator']} | {len(rs)} | **{statistics.median(steps):.2f}** | "
                    f"{quantile(steps, .25):.2f}–{quantile(steps, .75):.2f} | {min(steps):.2f}–{max(steps):.2f} | "
                    f"**{statistics.median(peaks):,.0f}** | {min(peaks):,.0f}–{max(peaks):,.0f} | "
                    f"{(f'{statistics.median(cpu):.2f} ({min(cpu):.2f}–{max(cpu):.2f})' if cpu else 'n/a')} | {rs[-1]['final_loss']:.4f} |")
        if "breakdown" in rs[0] and rs[0]["breakdown"]:
            keys = list(rs[0]["breakdown"])
            breakdowns.append((path.stem, {k: statistics.median(r["breakdown"][k] for r in rs) for k in keys}))
    print(f"### {folder.name}\n")
    print("| build | threads | allocator | runs | median s/step | p25–p75 | min–max | peak RSS MB (median) | runs' peaks | CPU s/step median (min–max) | last loss |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    if breakdowns:
        keys = list(breakdowns[-1][1])
        print("\n| part (median s/step over runs) | " + " | ".join(n for n, _ in breakdowns) + " |")
        print("| --- |" + " --- |" * len(breakdowns))
        for k in keys:
            print(f"| {k} | " + " | ".join(f"{b.get(k, float('nan')):.3f}" for _, b in breakdowns) + " |")
    names = list(medians)
    if len(names) == 2:
        (a, (ta, pa)), (b, (tb, pb)) = [(n, medians[n]) for n in names]
        per_run = {n: [statistics.median(r["step_seconds"]) for r in runs(folder / f"{n}.jsonl")] for n in names}
        pairs = [x / y for x, y in zip(per_run[a], per_run[b])]
        print(f"\n{a} ÷ {b}: time {ta / tb:.2f}× (pooled medians); per pair (run medians, in run order): "
              f"{', '.join(f'{x:.2f}' for x in pairs)}, median {statistics.median(pairs):.2f}×; peak RSS {pa / pb:.2f}×\n")


def decode(folder):
    rows, medians = [], {}
    for path in sorted(folder.glob("*.jsonl")):
        rs = runs(path)
        if not rs:
            continue
        rt = rs[0]["runtime"]
        for kind in ("base", "quiet"):
            ms = [m for r in rs for m in r[f"{kind}_runs_ms_per_token"]]
            medians[(path.stem, kind)] = statistics.median(ms)
            rows.append(f"| {path.stem} | {kind} | {rt['torch_threads']} | {rt['allocator']} | {rs[0]['config']['batch']} | {len(ms)} | "
                        f"**{statistics.median(ms):.2f}** | {quantile(ms, .25):.2f}–{quantile(ms, .75):.2f} | {min(ms):.2f}–{max(ms):.2f} | "
                        f"{all(r['text_equals_base'] for r in rs)} |")
    print(f"### {folder.name}\n")
    print("| build | decoder | threads | allocator | batch | timed runs | median ms/token | p25–p75 | min–max | quiet text = base text |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    builds = sorted({b for b, _ in medians})
    if len(builds) == 2:
        a, b = builds
        print(f"\nquiet ms/token {a} ÷ {b}: {medians[(a, 'quiet')] / medians[(b, 'quiet')]:.2f}×; "
              f"base ms/token: {medians[(a, 'base')] / medians[(b, 'base')]:.2f}×\n")
        # Per pair: the i-th process of a against the i-th of b (alternate.sh runs them back to back), run medians.
        for kind in ("quiet", "base"):
            per_run = {n: [statistics.median(r[f"{kind}_runs_ms_per_token"]) for r in runs(folder / f"{n}.jsonl")] for n in (a, b)}
            pairs = [x / y for x, y in zip(per_run[a], per_run[b])]
            print(f"{kind} per pair ({a} ÷ {b}, run medians in run order): {', '.join(f'{x:.2f}' for x in pairs)}; "
                  f"median {statistics.median(pairs):.2f}×, min {min(pairs):.2f}×\n")
        cpu = {n: [m for r in runs(folder / f"{n}.jsonl") for m in r.get("quiet_runs_cpu_ms_per_token", [])] for n in (a, b)}
        for n in (a, b):
            if cpu[n]:
                print(f"quiet CPU ms/token {n}: median {statistics.median(cpu[n]):.2f} (p25–p75 {quantile(cpu[n], .25):.2f}–{quantile(cpu[n], .75):.2f})\n")


root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "raw"
for folder in sorted(p for p in root.iterdir() if p.is_dir() and any(p.glob("*.jsonl"))):
    (decode if folder.name.startswith("decode") else train)(folder)
