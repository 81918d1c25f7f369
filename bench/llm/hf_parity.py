#!/usr/bin/env python3
"""Compares our LibTorch decoders with Hugging Face transformers (run where transformers is
installed, e.g. a GPU machine; the project's own test compares with a plain-PyTorch reference).

Usage: hf_parity.py CASES_DIR [--device cpu|cuda]
CASES_DIR holds one folder per case, written by worker_nn_test with ECGBENCH_NN_KEEP_CASES=DIR:
config.json + model.safetensors (a tiny random model saved by the C++ side) and case.safetensors
(input_ids / attention_mask [B, L] left-padded, decode_tokens [B, S], and the C++ prefill_logits
[B, L, V] and decode_logits [B, S, V]). For each case transformers loads the model in float32
with eager attention, runs the prefill with the same mask and position ids (cumsum(mask) - 1,
padding 1, as generate() does), then S cached steps feeding decode_tokens, and prints
  CASE prefill_max_abs_diff=X decode_max_abs_diff=Y greedy_agree=A/N
over real (unpadded) positions. Last line: RESULT max_abs_diff=... cases=..."""
import argparse
import os
import sys

import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM


def run_case(path, device):
    case = load_file(os.path.join(path, "case.safetensors"))
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, attn_implementation="eager").to(device)
    model.eval()
    ids = case["input_ids"].to(device)
    mask = case["attention_mask"].to(device)
    steps = case["decode_tokens"].to(device)
    with torch.no_grad():
        pos = (mask.long().cumsum(-1) - 1).masked_fill(mask == 0, 1)
        out = model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True)
        prefill = out.logits.float().cpu()
        past = out.past_key_values
        decode = []
        for s in range(steps.shape[1]):
            mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
            pos = (mask.long().cumsum(-1) - 1)[:, -1:]
            out = model(input_ids=steps[:, s:s + 1], attention_mask=mask, position_ids=pos,
                        past_key_values=past, use_cache=True)
            past = out.past_key_values
            decode.append(out.logits.float().cpu())
        decode = torch.cat(decode, dim=1)
    real = case["attention_mask"].bool()
    prefill_diff = (prefill - case["prefill_logits"]).abs()[real].max().item()
    decode_diff = (decode - case["decode_logits"]).abs().max().item()
    agree = (decode.argmax(-1) == case["decode_logits"].argmax(-1)).sum().item()
    return prefill_diff, decode_diff, agree, decode.shape[0] * decode.shape[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cases")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    import transformers
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, device {args.device}")
    worst = 0.0
    failed = 0
    names = sorted(d for d in os.listdir(args.cases) if os.path.isdir(os.path.join(args.cases, d)))
    for name in names:
        try:
            p, d, a, n = run_case(os.path.join(args.cases, name), args.device)
        except Exception as e:  # report the case and go on with the others
            failed += 1
            print(f"{name} FAILED: {type(e).__name__}: {e}")
            continue
        worst = max(worst, p, d)
        print(f"{name} prefill_max_abs_diff={p:.3g} decode_max_abs_diff={d:.3g} greedy_agree={a}/{n}")
    print(f"RESULT max_abs_diff={worst:.3g} cases={len(names)} failed={failed}")
    return 0 if names and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
