#!/usr/bin/python3
"""bench/llm: the Python side of the LLM benchmark, the same measurements as ecgbench_llm_bench.

The model is tests/unit/worker/nn/reference_decoder.py's Reference (plain PyTorch, the math of
Hugging Face's modeling_llama.py: RMSNorm, rotate_half RoPE, repeat_kv grouped-query attention with
an additive 4-D mask, SwiGLU MLP), imported unchanged. Its KV cache is transformers' DynamicCache
scheme: per layer, keys and values concatenated with torch.cat at every step.

Usage: reference_llama.py MODEL_DIR --threads T [--steps N] [--reps R]
MODEL_DIR holds config.json + model.safetensors written by ecgbench_llm_bench. Measures, on T
intra-op threads (torch.set_num_threads):
  decode  batch 1 and 8: prefill 32 tokens, then N greedy steps under torch.no_grad(); only the
          steps are timed; tokens/s = B * N / s
  train   forward + backward of batch 4 x 128, cross-entropy on shifted labels, no optimizer
          (gradients set to None between repetitions, outside the timed region)
each the median of R repetitions after one warm-up. Prompts: ids[b, t] = (b * 131 + t * 17 + 7)
% vocab, as the C++ side. Prints
  params=N decode_b1_tok_s=X decode_b8_tok_s=Y train_step_s=Z loss=L greedy=H"""
import argparse
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "unit", "worker", "nn"))
from reference_decoder import Reference  # noqa: E402

PREFILL = 32
TRAIN_BATCH, TRAIN_LENGTH = 4, 128


def prompt(batch, length, vocab):
    b = torch.arange(batch, dtype=torch.int64)[:, None]
    t = torch.arange(length, dtype=torch.int64)[None, :]
    return (b * 131 + t * 17 + 7) % vocab


def decode_once(model, batch, steps):
    """One prefill + `steps` timed greedy steps: (seconds of the steps, tokens [batch, steps])."""
    vocab = model.cfg["vocab_size"]
    mask = torch.ones(batch, PREFILL + steps, dtype=torch.int64)
    cache = {}
    logits = model.forward(prompt(batch, PREFILL, vocab), mask[:, :PREFILL], cache)
    tokens = torch.empty(batch, steps, dtype=torch.int64)
    start = time.perf_counter()
    for s in range(steps):
        ids = logits[:, -1].argmax(-1, keepdim=True)
        tokens[:, s] = ids[:, 0]
        logits = model.forward(ids, mask[:, :PREFILL + s + 1], cache)
    return time.perf_counter() - start, tokens


def decode_tokens_per_second(model, batch, steps, reps):
    with torch.no_grad():
        decode_once(model, batch, min(steps, 8))
        rates, tokens = [], None
        for _ in range(reps):
            seconds, tokens = decode_once(model, batch, steps)
            rates.append(batch * steps / seconds)
    return statistics.median(rates), tokens


def train_step_seconds(model, reps):
    vocab = model.cfg["vocab_size"]
    weights = list(model.w.values())
    for w in weights:
        w.requires_grad_(True)
    ids = prompt(TRAIN_BATCH, TRAIN_LENGTH, vocab)
    mask = torch.ones(TRAIN_BATCH, TRAIN_LENGTH, dtype=torch.int64)
    labels = ids[:, 1:].reshape(-1)
    times, loss = [], 0.0
    for r in range(reps + 1):
        for w in weights:
            w.grad = None
        start = time.perf_counter()
        logits = model.forward(ids, mask, {})
        value = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, vocab), labels)
        value.backward()
        seconds = time.perf_counter() - start
        if r > 0:
            times.append(seconds)
        loss = value.item()
    for w in weights:
        w.grad = None
        w.requires_grad_(False)
    return statistics.median(times), loss


def token_hash(tokens):
    flat = tokens.reshape(-1)
    return int((flat * torch.arange(1, flat.numel() + 1, dtype=torch.int64)).sum()) % 1000000000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model_dir")
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--steps", type=int, default=64)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = Reference(args.model_dir)
    params = sum(w.numel() for w in model.w.values())
    b1, _ = decode_tokens_per_second(model, 1, args.steps, args.reps)
    b8, tokens = decode_tokens_per_second(model, 8, args.steps, args.reps)
    train, loss = train_step_seconds(model, args.reps)
    print("params=%d decode_b1_tok_s=%.2f decode_b8_tok_s=%.2f train_step_s=%.4f loss=%.6f greedy=%d"
          % (params, b1, b8, train, loss, token_hash(tokens)))


if __name__ == "__main__":
    main()
