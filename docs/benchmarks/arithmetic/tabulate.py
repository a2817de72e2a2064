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

# ---- Session 17: the mixing head as the bottleneck, the LM at lr 1e-5, and the reward from the thought branch ----

print()
print("## A constant mixing weight instead of the head's (think-then-speak, greedy thoughts; session17/fixed_w, fixed_w.patch)")
print()
print("| checkpoint | head's own w | w = 0.3 | w = 0.5 | w = 0.7 | w = 1 |")
print("| --- | --- | --- | --- | --- | --- |")
for run, what in [("init_s2", "START/END from ( ), head untrained (1 step at lr 1e-12)"), ("s40_s2", "preset, 40 steps"),
                  ("norm1_s2", "preset + policy 1 normalised, 80 steps"), ("lr1e5_s2", "LM lr 1e-5, head ×300, 80 steps")]:
    t = load(f"session17/{run}.json")
    after = (t.get("exact_match") or {}).get("after") if t else None
    own = pct(after["greedy_thoughts"]["exact_match"]) if after else "22.5 (w ≡ 0: the pretrained model)"
    cells = []
    for w in ["0.3", "0.5", "0.7", "1"]:
        d = load(f"session17/fixed_w/{run}__w{w}.json")
        cells.append(pct(d["exact_match"]) if d else "")
    print(f"| {run}: {what} | {own} | " + " | ".join(cells) + " |")

print()
print("## Recipe probes of session 17 (the train runs' own exact match, thought seed 42)")
print()
print("| run | steps | lr | head × | policy | no thoughts | thoughts | greedy | uniform | wall s |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for run in ["s40_s2", "norm1_s2", "lr1e5_s2", "lr1e5_h1000_s2", "lr1e5_160_s2", "lr1e5_s1", "lr1e5_s3"]:
    t = load(f"session17/{run}.json")
    if not t:
        continue
    c, e = t["config"], t["exact_match"]["after"]
    policy = f"{c['policy_weight']:g}" + (" normalised" if c["normalize_advantages"] and c["policy_weight"] > 0 else "")
    print(f"| {run} | {c['steps']} | {c['lr']:g} | {c['head_lr_mult']:g} | {policy} | {pct(e['no_thoughts']['exact_match'])} | "
          f"{pct(e['thoughts']['exact_match'])} | {pct(e['greedy_thoughts']['exact_match'])} | {pct(e['uniform_thoughts']['exact_match'])} | {t['seconds']:.0f} |")

print()
print("## The preset (LM lr 1e-5, head ×300, 160 steps) on three seeds against the equal-steps plain LM at both learning rates (exact match %, evals/)")
print()
print("| seed | plain LM lr 1e-5 | plain LM lr 1e-4 | no thoughts | thoughts (sampled) | thoughts (greedy) | uniform thoughts | thoughts − plain 1e-5 | thoughts − plain 1e-4 | thoughts − uniform | every-token | after 80 steps | wall s |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for seed in [1, 2, 3]:
    run = f"lr1e5_160_s{seed}"
    v = {k: items(run, k) for k in ["none", "speak_model", "speak_greedy", "speak_uniform", "every_model"]}
    p5, p4 = items(f"plain160_lr1e5_s{seed}", "none"), items(f"plain160_lr1e4_s{seed}", "none")
    t = load(f"session17/{run}.json")
    t80 = load(f"session17/lr1e5_s{seed}.json")
    if not all(v.values()) or p5 is None or p4 is None or t is None:
        continue
    e80 = pct(t80["exact_match"]["after"]["thoughts"]["exact_match"]) if t80 else ""
    secs = t["seconds"] + (t80["seconds"] if t80 and t["start_step"] else 0)
    print(f"| {seed} | {pct(acc(p5))} | {pct(acc(p4))} | {pct(acc(v['none']))} | **{pct(acc(v['speak_model']))}** | {pct(acc(v['speak_greedy']))} | "
          f"{pct(acc(v['speak_uniform']))} | {diff(v['speak_model'], p5)} | {diff(v['speak_model'], p4)} | {diff(v['speak_model'], v['speak_uniform'])} | "
          f"{pct(acc(v['every_model']))} | {e80} | {secs:.0f} |")

print()
print("## Neutral init with the reward scored by the thought branch (--reward-from-thought, policy 1 normalised, seed 1)")
for run in ["neutral_rft_s1_40", "neutral_rft_s1_80"]:
    t = load(f"session17/{run}.json")
    if not t:
        continue
    e = t["exact_match"]["after"]
    print(f"- {run}: no thoughts {pct(e['no_thoughts']['exact_match'])}, thoughts {pct(e['thoughts']['exact_match'])}, "
          f"greedy {pct(e['greedy_thoughts']['exact_match'])}, uniform {pct(e['uniform_thoughts']['exact_match'])}")
    for x in e["greedy_thoughts"]["examples"]:
        w = ", ".join(f"{y:.2f}" for y in x["w"])
        print(f"  - {x['question']} → «{x['thought']}» wrote {x['generated']} ({'right' if x['correct'] else 'wrong'}); w = {w}")
