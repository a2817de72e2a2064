#!/usr/bin/env python3
"""Summarises run.sh's JSON lines: seconds per step and peak RSS per mode (A B A B pairs), the bf16/fp32 ratio per pair,
and the validation curves. Usage: python3 tabulate.py [dir] > summary.json"""
import json, re, statistics, sys, pathlib

d = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent)
runs = {}
for f in sorted(d.glob("time_*_*.json")):
    mode, rep = f.stem.split("_")[1:]
    j = json.loads(f.read_text())
    runs.setdefault(mode, {})[rep] = {"seconds_per_step": j["seconds"] / j["steps"], "peak_rss_mb": j["peak_rss_mb"],
                                      "final_loss": j["final"]["loss"], "runtime": j["runtime"]}
summary = {"timing": {}, "bf16_over_fp32_time_per_pair": [], "curves": {}}
for mode, reps in runs.items():
    s = [r["seconds_per_step"] for r in reps.values()]
    m = [r["peak_rss_mb"] for r in reps.values()]
    summary["timing"][mode] = {"seconds_per_step": s, "median": statistics.median(s), "peak_rss_mb": m,
                               "final_loss_step20": [r["final_loss"] for r in reps.values()],
                               "runtime": next(iter(reps.values()))["runtime"]}
for rep in sorted(set(runs.get("none", {})) & set(runs.get("bf16", {}))):
    summary["bf16_over_fp32_time_per_pair"].append(runs["bf16"][rep]["seconds_per_step"] / runs["none"][rep]["seconds_per_step"])
for mode in ("none", "bf16"):
    f = d / f"curve_{mode}_validation.txt"
    if f.exists():
        pts = [tuple(map(float, re.search(r"step (\d+): base NLL ([\d.]+), talk NLL ([\d.]+)", line).groups()))
               for line in f.read_text().splitlines() if "base NLL" in line]
        j = json.loads((d / f"curve_{mode}.json").read_text())
        summary["curves"][mode] = {"validation": [{"step": int(s), "base_nll": b, "talk_nll": t} for s, b, t in pts],
                                   "final_train_loss": j["final"]["loss"], "seconds": j["seconds"], "peak_rss_mb": j["peak_rss_mb"]}
json.dump(summary, sys.stdout, indent=1)
print()
