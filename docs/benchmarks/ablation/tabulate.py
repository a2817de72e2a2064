#!/usr/bin/env python3
"""Markdown tables for docs/experiments.md from the raw JSON of the full-budget ablation (one folder of *.json)."""
import json, math, os, statistics, sys

RES = sys.argv[1] if len(sys.argv) > 1 else "res"

ROWS = [  # name, label
    ("plain_s42", "plain LM (`--no-thoughts`)"),
    ("ref_s42", "reference objective (`--raw-advantages --policy-weight 1e6`)"),
    ("reflr_s42", "reference objective and lr (`--raw-advantages --policy-weight 1e6 --lr 1e-6`)"),
    ("raw100_s42", "raw advantages, weight 100 (`--raw-advantages --policy-weight 100`, the first `small`)"),
    ("raw1_s42", "raw advantages, weight 1 (`--raw-advantages --policy-weight 1`)"),
    ("norm1_s42", "normalised advantages, weight 1 (`--policy-weight 1`, the previous `small`)"),
    ("norm01_s42", "normalised advantages, weight 0.1 (`--policy-weight 0.1`)"),
    ("norm1ent_s42", "normalised, weight 1 + entropy bonus (`--entropy-weight 0.01`)"),
    ("norm1kl_s42", "normalised, weight 1 + KL to base (`--kl-weight 0.01`)"),
    ("norm1lm_s42", "normalised, weight 1 + plain-LM warm start (`--lm-steps 50`)"),
    ("norm1wu_s42", "normalised, weight 1 + policy warm-up (`--policy-warmup 100`)"),
    ("p0_s42", "**chosen: policy weight 0** (`--policy-weight 0`, the `small` default)"),
    ("p0t9_s42", "policy weight 0, longer thoughts (`--thought-tokens 9`)"),
    ("p0p4_s42", "policy weight 0, more passes (`--passes 4`)"),
]


def load(name, tag):
    path = os.path.join(RES, f"{name}.{tag}.json")
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return None
    with open(path) as f:
        return json.load(f)


def ci(d, key):
    x = d["vs_baseline"][key]
    return f"{x['mean_difference']:+.4f} [{x['lower']:+.4f}, {x['upper']:+.4f}]"


def fmt(x, spec=".4f"):
    return "–" if x is None else format(x, spec)


def main_table():
    print("| row | talk NLL | base NLL | Δ talk vs plain, all [95 % CI] | Δ talk vs plain, hard [95 % CI] | Δ base vs plain, all (control) | Δ base vs plain, hard (control) | distinct thoughts | thought entropy | mean w | steps | train wall s | peak RSS MB | threads | allocator |")
    print("| --- | " + " | ".join(["---"] * 14) + " |")
    for name, label in ROWS:
        tr, wall, sel, selbase = load(name, "train"), load(name, "wall"), load(name, "sel"), load(name, "selbase")
        if tr is None or sel is None:
            print(f"| {label} | not run | " + " | ".join([""] * 13) + " |")
            continue
        plain = name.startswith("plain")
        fin = tr["final"]
        talk = sel["talk_nll"] if not plain else sel["base_nll"]
        base = sel["base_nll"]
        cols = [label, fmt(talk), fmt(base), ci(sel, "all"), ci(sel, "hard"),
                "(= talk)" if plain else (ci(selbase, "all") if selbase else "–"),
                "(= talk)" if plain else (ci(selbase, "hard") if selbase else "–"),
                "–" if plain else str(fin["distinct_thoughts"]),
                "–" if plain else fmt(fin["thought_entropy"], ".3f"),
                "–" if plain else fmt(sel["mean_mixing_weight"], ".3f"),
                str(tr["steps"]), f"{wall['train_wall_s']:.0f}", f"{tr['peak_rss_mb']:.0f}",
                str(tr["runtime"]["torch_threads"]), tr["runtime"]["allocator"]]
        print("| " + " | ".join(cols) + " |")


T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365}


def seed_table(prefix, label, seeds, text):
    tag, basetag = ("sel", "selbase") if text == "selection" else ("conf", "confbase")
    print(f"| {label}, {text} text | plain LM NLL | talk NLL | Δ talk, all [95 % CI] | Δ talk, hard [95 % CI] | Δ base (control), all | Δ base (control), hard | distinct thoughts | train wall s |")
    print("| --- | " + " | ".join(["---"] * 8) + " |")
    d_all, d_hard, b_all, b_hard = [], [], [], []
    for s in seeds:
        name = f"{prefix}_s{s}"
        tr, wall, ev, evb, pl = load(name, "train"), load(name, "wall"), load(name, tag), load(name, basetag), load(f"plain_s{s}", tag)
        if tr is None or ev is None or evb is None:
            print(f"| seed {s} | not run | | | | | | | |")
            continue
        d_all.append(ev["vs_baseline"]["all"]["mean_difference"]); d_hard.append(ev["vs_baseline"]["hard"]["mean_difference"])
        b_all.append(evb["vs_baseline"]["all"]["mean_difference"]); b_hard.append(evb["vs_baseline"]["hard"]["mean_difference"])
        print(f"| seed {s} | {pl['base_nll']:.4f} | {ev['talk_nll']:.4f} | {ci(ev, 'all')} | {ci(ev, 'hard')} | {ci(evb, 'all')} | {ci(evb, 'hard')} | {tr['final']['distinct_thoughts']} | {wall['train_wall_s']:.0f} |")

    def summary(xs):
        if len(xs) < 2:
            return "–"
        m, sd = statistics.mean(xs), statistics.stdev(xs)
        h = T975[len(xs) - 1] * sd / math.sqrt(len(xs))
        return f"{m:+.4f} [{m - h:+.4f}, {m + h:+.4f}]"

    print(f"| mean over {len(d_all)} seeds [t 95 % CI over seeds] | | | {summary(d_all)} | {summary(d_hard)} | {summary(b_all)} | {summary(b_hard)} | | |")
    print()


if __name__ == "__main__":
    what = sys.argv[2] if len(sys.argv) > 2 else "all"
    if what in ("all", "main"):
        main_table()
        print()
    if what in ("all", "seeds"):
        for text in ("selection", "confirmation"):
            seed_table("p0", "policy weight 0", [42, 1, 2, 3, 4], text)
            seed_table("norm1", "normalised, weight 1", [42, 1, 2], text)


def variant_table(header, rows):
    """One row per (checkpoint, variant label, JSON suffix): the checkpoint's talk NLL against its plain LM."""
    print(f"| {header} | talk NLL | Δ talk vs plain, all [95 % CI] | Δ talk vs plain, hard [95 % CI] | mean w |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, label, suffix in rows:
        d = load(name, suffix)
        if d is None:
            print(f"| `{name}` | {label} | not run | | | |")
            continue
        print(f"| `{name}` | {label} | {d['talk_nll']:.4f} | {ci(d, 'all')} | {ci(d, 'hard')} | {d['mean_mixing_weight']:.4f} |")
    print()


def control_table(names, text):
    tag = "sel" if text == "selection" else "conf"
    modes = (("model's samples (default)", tag), ("greedy", f"{tag}-greedy"), ("uniformly random tokens", f"{tag}-uniform"))
    variant_table(f"checkpoint ({text} text) | thoughts", [(name, label, suffix) for name, _ in names for label, suffix in modes])


if __name__ == "__main__" and (sys.argv[2] if len(sys.argv) > 2 else "all") in ("all", "controls"):
    ctl = [("p0_s42", 42), ("p0_s1", 1), ("p0_s2", 2), ("p0_s3", 3), ("p0_s4", 4), ("norm1_s42", 42)]
    for text in ("selection", "confirmation"):
        control_table(ctl, text)


def length_table():
    lengths = (("1", "conf-t1"), ("3", "conf-t3"), ("6 (trained)", "conf"))
    variant_table("checkpoint (confirmation text) | thought tokens at evaluation",
                  [(f"p0_s{s}", label, suffix) for s in (42, 1, 2, 3, 4) for label, suffix in lengths])


if __name__ == "__main__" and (sys.argv[2] if len(sys.argv) > 2 else "all") in ("all", "lengths"):
    length_table()
