#!/usr/bin/env python3
"""A lower bound on the arithmetic of one Quiet-STaR training step (issue 15, session 19).

Counts only the matrix products any float32 implementation of the step must do (multiply-adds, MAC), from the model's
shapes and the step's schedule (`bench train`: B sequences x P passes, base pass once per sequence, T + 1 thought
calls, M talk calls, all L positions in parallel). Left out, so the bound stays a bound: softmax, norms, rotary,
residuals, SiLU, sampling, the mixing head, the branch (own-thought) keys, any recomputation, every copy. Backward of a
product costs two products of the same size (dX and dW; attention: dQ, dK from dS and dV, dP from dO), so a step's
products are 3x its forward products, minus the forward work no later step reads (the last thought call's last-layer
attention output and MLP, whose only consumer would be an LM head that is never applied). Printed beside it: the
bound with the MLP's gate and up products recomputed in backward, as main does to keep peak memory at <= 0.5x.

It is a lower bound on the products *as this schedule computes them*. A value-preserving implementation could still
share about 2 % of them (the review of session 19 counted: layer 0's q/k/v of the START and END calls, the same at
every position; layer 0's pre-rotary q/k/v of the talk calls, equal to the base pass's at t + s; the last thought
call's last-layer q and q.k; the calls at position L - 1, which has no target), so it is not a bound on every
possible implementation.

Usage: python3 flops.py [GFLOP_PER_S]   (a measured single-thread product rate; default 99.5, the median of
sgemm.jsonl's dim-256 medians; run.sh passes it)
"""
import json, sys

def step_macs(hidden, inter, layers, heads, kv_heads, vocab, L=256, B=4, P=2, T=9, M=4):
    head_dim = hidden // heads
    proj = hidden * (hidden + 2 * kv_heads * head_dim + hidden)      # q, k, v, o per token
    mlp = 3 * hidden * inter                                            # gate, up, down per token
    keys = (L + 1) / 2                                                  # causal prefix keys per query, averaged over t
    attn = keys * heads * head_dim * 2                                  # q.k and p.v per token
    per_layer = proj + mlp + attn
    head = hidden * vocab                                               # LM head per token
    rows = B * P
    base_tokens = B * L                                                 # base pass once per sequence
    run_tokens = (T + 1 + M) * rows * L                                 # START + T thought calls, M talk calls
    head_tokens = base_tokens + (T + M) * rows * L                      # base, T samplings, M talk predictions
    forward = (base_tokens + run_tokens) * layers * per_layer + head_tokens * head
    dead = rows * L * (hidden * hidden + mlp + attn / 2)                # last thought call: last layer's o-proj, MLP, p.v
    recompute = (base_tokens + run_tokens) * layers * 2 * hidden * inter  # gate and up again in backward (NormedSwiGlu)
    return 3 * forward - 3 * dead, forward, recompute

rate = float(sys.argv[1]) if len(sys.argv) > 1 else 99.5
out = []
for name, cfg in {"stories260K (dim 64)": (64, 172, 5, 8, 4, 512), "random dim 256": (256, 688, 4, 8, 4, 512)}.items():
    total, forward, recompute = step_macs(*cfg)
    gflop = 2 * total / 1e9
    out.append({"model": name, "forward_gmac": round(forward / 1e9, 1), "step_gflop_lower_bound": round(gflop, 1),
                "sgemm_gflop_per_s": rate, "seconds_lower_bound": round(gflop / rate, 2),
                "mlp_recompute_gflop": round(2 * recompute / 1e9, 1),
                "seconds_lower_bound_with_mlp_recompute": round((gflop + 2 * recompute / 1e9) / rate, 2)})
for o in out:
    print(json.dumps(o))
