#!/usr/bin/env python3
"""Tables of docs/experiments.md part 1 from the raw JSON in this folder (train runs and per-problem evaluations).

Usage: python3 tabulate.py [folder]   (default: this script's folder)
"""
import json, os, random, sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))


def load(path):
    path = os.path.join(root, path)
    return json.load(open(path)) if os.path.exists(path) and os.path.getsize(path) > 0 else None


def items(run, variant):
    d = load(f"evals/{run}__{variant}.json")
    return [c == "1" for c in d["correct_items"]] if d else None


def pct(x):
    return f"{100 * x:.1f}"


def acc(v):
    return sum(v) / len(v)


def paired(a, b, resamples=10_000, seed=0):
    """Mean of a − b over problems with a 95 % paired-bootstrap interval (percentage points)."""
    rng = random.Random(seed)
    n = len(a)
    d = [int(x) - int(y) for x, y in zip(a, b)]
    means = sorted(sum(d[rng.randrange(n)] for _ in range(n)) / n for _ in range(resamples))
    return sum(d) / n, means[int(0.025 * resamples)], means[int(0.975 * resamples) - 1]


def diff(a, b):
    m, lo, hi = paired(a, b)
    return f"{100 * m:+.1f} [{100 * lo:+.1f}, {100 * hi:+.1f}]"


def train_row(run):
    d = load(f"{run}.json")
    return d


print("## Pretrained model (before any Quiet-STaR), 200 held-out problems")
for name in ["pretrained_terse", "pretrained_worked"]:
    d = load(f"evals/{name}.json")
    if d:
        print(f"- {name}: {pct(d['exact_match'])} % [{pct(d['interval_95'][0])}, {pct(d['interval_95'][1])}]")

print()
print("## Aligned init (the arithmetic preset) against the equal-steps plain LM, per seed (exact match %, 200 held-out problems)")
print()
print("| seed | plain LM, equal steps | no thoughts | thoughts (sampled) | thoughts (greedy) | uniform thoughts | thoughts − plain LM | thoughts − uniform | every-token decoding | wall s (QS / plain) |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for seed in [1, 2, 3]:
    run, plain = f"aligned_s{seed}", f"plain_s{seed}"
    v = {k: items(run, k) for k in ["none", "speak_model", "speak_greedy", "speak_uniform", "every_model"]}
    p = items(plain, "none")
    if not all(v.values()) or p is None:
        continue
    t, tp = load(f"{run}.json"), load(f"{plain}.json")
    print(f"| {seed} | {pct(acc(p))} | {pct(acc(v['none']))} | **{pct(acc(v['speak_model']))}** | {pct(acc(v['speak_greedy']))} | "
          f"{pct(acc(v['speak_uniform']))} | {diff(v['speak_model'], p)} | {diff(v['speak_model'], v['speak_uniform'])} | "
          f"{pct(acc(v['every_model']))} | {t['seconds']:.0f} / {tp['seconds']:.0f} |")

print()
print("## Init × policy weight, seed 1 (exact match %, think-then-speak; difference: sampled thoughts against weight 0 of the same init)")
print()
print("| init | policy | no thoughts | thoughts (sampled) | thoughts (greedy) | uniform thoughts | vs weight 0 | steps | wall s |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for init, runs in [("aligned ( )", ["aligned_s1", "aligned_norm1_s1", "aligned_raw1_s1"]),
                   ("neutral ---", ["neutral_w0_s1", "neutral_norm1_s1", "neutral_raw1_s1"])]:
    w0 = items(runs[0], "speak_model")
    for run in runs:
        v = {k: items(run, k) for k in ["none", "speak_model", "speak_greedy", "speak_uniform"]}
        t = load(f"{run}.json")
        if not all(v.values()) or t is None:
            continue
        c = t["config"]
        policy = f"{c['policy_weight']:g}" + ((" normalised" if c["normalize_advantages"] else " raw") if c["policy_weight"] > 0 else "")
        vs = diff(v["speak_model"], w0) if w0 and run != runs[0] else ""
        print(f"| {init} | {policy} | {pct(acc(v['none']))} | {pct(acc(v['speak_model']))} | {pct(acc(v['speak_greedy']))} | "
              f"{pct(acc(v['speak_uniform']))} | {vs} | {c['steps']} | {t['seconds']:.0f} |")

print()
print("## Recipe probes (seed 2) and the plain LM at equal wall time (seed 1), exact match %")
print()
print("| run | what changed | no thoughts | thoughts (sampled) | thoughts (greedy) | uniform thoughts | wall s |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for run, what in [("aligned_s2", "the preset"), ("probeA_s2", "lr 5e-5, head ×60"), ("probeB_s2", "160 steps")]:
    v = {k: items(run, k) for k in ["none", "speak_model", "speak_greedy", "speak_uniform"]}
    t = load(f"{run}.json")
    if all(v.values()) and t:
        print(f"| {run} | {what} | {pct(acc(v['none']))} | {pct(acc(v['speak_model']))} | {pct(acc(v['speak_greedy']))} | {pct(acc(v['speak_uniform']))} | {t['seconds']:.0f} |")
for run, what in [("plain_s1", "plain LM, 80 steps (equal steps)"), ("plain_time_s1", "plain LM, 2,000 steps (about the Quiet-STaR run's wall time)")]:
    v = items(run, "none")
    t = load(f"{run}.json")
    if v and t:
        print(f"| {run} | {what} | {pct(acc(v))} | | | | {t['seconds']:.0f} |")

print()
print("## Earlier recipe tuning on seed 1 (L = 48; the train runs' own exact match on the same 200 problems, thought seed 42)")
print()
print("| run | steps | lr | head ×| no thoughts | thoughts | greedy | uniform |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for run in ["tuning/arith_s1", "tuning/tuneB", "tuning/tuneA", "tuning/tuneC"]:
    t = load(f"{run}.json")
    if not t:
        continue
    c, e = t["config"], t["exact_match"]["after"]
    g = pct(e["greedy_thoughts"]["exact_match"]) if "greedy_thoughts" in e else ""
    print(f"| {run.split('/')[-1]} (L {c['seq_len']}) | {c['steps']} | {c['lr']:g} | {c['head_lr_mult']:g} | {pct(e['no_thoughts']['exact_match'])} | "
          f"{pct(e['thoughts']['exact_match'])} | {g} | {pct(e['uniform_thoughts']['exact_match'])} |")
print()
print("## Thoughts before the first answer digit (first three problems), from the train runs' JSON")
for run in ["aligned_s1", "neutral_w0_s1", "neutral_norm1_s1_40", "neutral_norm1_s1_80", "neutral_norm1_s1", "neutral_raw1_s1"]:
    t = load(f"{run}.json")
    if not t:
        continue
    for phase in ["before", "after"]:
        if not t["exact_match"].get(phase):
            continue
        for e in t["exact_match"][phase]["greedy_thoughts"]["examples"]:
            w = ", ".join(f"{x:.2f}" for x in e["w"])
            print(f"- {run} {phase}: {e['question']} → «{e['thought']}» wrote {e['generated']} ({'right' if e['correct'] else 'wrong'}); w = {w}")
