#!/usr/bin/python3
"""bench/train: the Python side of the ELM training benchmark, the same steps as ecgbench_train_bench.

The LLM is tests/unit/worker/nn/reference_decoder.py's Reference (plain PyTorch, the math of
Hugging Face's modeling_llama.py), imported; this file adds what Hugging Face + PEFT + the
upstream ELM wrappers put around it:
  * projections through F.linear (nn.Linear) with PEFT's LoRA branch where adapted:
    y = W x + lora_B(lora_A(x)) * alpha / r
  * token embeddings through F.embedding (nn.Embedding) and, for the encoder-free ELM, the flat
    signal through the projection Linear(12 * 1250 -> hidden) written over the `<signal>`
    placeholder with masked_scatter (transformers' LLaVA injection)
  * the loss, summed over the labeled tokens and divided by their count: --logits all (default):
    transformers' ForCausalLMLoss, logits for every position [B, L, vocab], labels padded by one
    and shifted, cross-entropy with ignore_index -100; --logits labeled: logits only at the labeled
    positions (what the C++ Elm::Loss does; same value)
  * torch.optim.AdamW (betas 0.9 / 0.99, eps 1e-8, weight decay 0.01), clip_grad_norm_(1.0),
    zero_grad(set_to_none=True).

Usage: reference_train.py DIR --kind ef|byte --regime lora|full --threads T [--batch B]
       [--length L] [--steps N] [--warmup W] [--lr LR] [--logits all|labeled] [--trace FILE]
DIR is ecgbench_train_bench's --dir after it ran with the same kind, regime, batch and length
(model/, data_L<L>_B<B>.safetensors, init_<kind>_<regime>.safetensors). Step s uses batch
s % K; W warm-up steps, then N timed ones. Prints, like the C++ side:
  kind=.. regime=.. params=N trainable=M step_s=S samples_s=X fwd_s=F bwd_s=G opt_s=O cpu_s=C
  loss_first=L0 loss_last=Ln losses=l0,l1,..."""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "unit", "worker", "nn"))
from reference_decoder import Reference, read_safetensors  # noqa: E402

PLACEHOLDER = 3
LORA_RANK, LORA_ALPHA = 16, 32.0
PEFT_PREFIX, LORA_A, LORA_B = "base_model.model.", ".lora_A.weight", ".lora_B.weight"


class ElmReference(Reference):
    """Reference Llama with LoRA branches, inputs_embeds and the ELM's projection."""

    def __init__(self, model_dir, init):
        super().__init__(model_dir)
        assert self.type == "llama"
        self.projection = None
        if "projection.weight" in init:
            self.projection = (init["projection.weight"].clone(), init["projection.bias"].clone())
        self.lora = {}
        for key, value in init.items():
            if key.endswith(LORA_A):
                path = key[len(PEFT_PREFIX):-len(LORA_A)]
                self.lora[path] = (value.clone(), init[PEFT_PREFIX + path + LORA_B].clone())
        self.lora_scaling = LORA_ALPHA / LORA_RANK

    def trainable(self, regime):
        params = list(self.projection) if self.projection is not None else []
        if regime == "full":
            params += list(self.w.values())
        else:
            for a, b in self.lora.values():
                params += [a, b]
        for p in params:
            p.requires_grad_(True)
        return params

    def linear(self, x, name, bias=False):
        y = F.linear(x, self.w[name + ".weight"], self.w[name + ".bias"] if bias else None)
        adapter = self.lora.get(name)
        if adapter is not None:
            y = y + F.linear(F.linear(x, adapter[0]), adapter[1]) * self.lora_scaling
        return y

    def embeddings(self, ids, signal):
        h = F.embedding(ids, self.w["model.embed_tokens.weight"])
        if signal is None:
            return h
        features = F.linear(signal.reshape(signal.shape[0], -1), *self.projection)[:, None, :]
        return h.masked_scatter((ids == PLACEHOLDER)[..., None], features)

    def hidden_states(self, h, attention_mask):
        """Reference.forward from the embeddings on (no cache), up to the final norm."""
        b, l, _ = h.shape
        position_ids = attention_mask.long().cumsum(-1) - 1
        position_ids.masked_fill_(attention_mask == 0, 1)
        freqs = (self.inv_freq[None, :, None].expand(b, -1, 1) @ position_ids[:, None, :].float()).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        mask = self.causal_mask(attention_mask, 0, l, None)
        for i in range(self.layers):
            p = "model.layers.%d." % i
            h = h + self.attention(self.norm(h, p + "input_layernorm.weight"), i, cos, sin, mask, {})
            h = h + self.mlp(self.norm(h, p + "post_attention_layernorm.weight"), i)
        return self.norm(h, "model.norm.weight")

    def loss(self, ids, attention_mask, labels, signal, logits_mode):
        h = self.hidden_states(self.embeddings(ids, signal), attention_mask)
        head = self.w["lm_head.weight"]
        targets = labels[:, 1:]
        count = int((targets != -100).sum())
        if logits_mode == "all":
            # transformers' ForCausalLMLoss: labels padded by one and shifted, logits of every position.
            logits = F.linear(h, head).float()
            shifted = F.pad(labels, (0, 1), value=-100)[:, 1:]
            total = F.cross_entropy(logits.view(-1, logits.shape[-1]), shifted.reshape(-1), ignore_index=-100,
                                    reduction="sum")
        else:
            keep = targets != -100
            logits = F.linear(h[:, :-1][keep], head).float()
            total = F.cross_entropy(logits, targets[keep], reduction="sum")
        return total / count


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dir")
    parser.add_argument("--kind", choices=["ef", "byte"], required=True)
    parser.add_argument("--regime", choices=["lora", "full"], required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--length", type=int, default=256)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--logits", choices=["all", "labeled"], default="all")
    parser.add_argument("--trace", help="write the last step's autograd-profiler trace (Chrome JSON) here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    init = read_safetensors(os.path.join(args.dir, "init_%s_%s.safetensors" % (args.kind, args.regime)))
    model = ElmReference(os.path.join(args.dir, "model"), init)
    data = read_safetensors(os.path.join(args.dir, "data_L%d_B%d.safetensors" % (args.length, args.batch)))
    ids, masks, labels = (data[args.kind + s] for s in (".input_ids", ".attention_mask", ".labels"))
    signals = data["ef.signal"] if args.kind == "ef" else None
    params_count = sum(w.numel() for w in model.w.values())
    if model.projection is not None:
        params_count += sum(p.numel() for p in model.projection)
    params = model.trainable(args.regime)
    optimizer = torch.optim.AdamW(params, lr=args.lr, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.01)

    times, losses = {"step": [], "fwd": [], "bwd": [], "opt": [], "cpu": []}, []
    for s in range(args.warmup + args.steps):
        k = s % ids.shape[0]
        profile = None
        if args.trace and s + 1 == args.warmup + args.steps:
            profile = torch.autograd.profiler.profile()
            profile.__enter__()
        cpu_start = time.process_time()
        start = time.perf_counter()
        loss = model.loss(ids[k], masks[k], labels[k], signals[k] if signals is not None else None, args.logits)
        forward = time.perf_counter() - start
        loss.backward()
        backward = time.perf_counter() - start
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        total = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        if profile is not None:
            profile.__exit__(None, None, None)
            profile.export_chrome_trace(args.trace)
        losses.append(loss.item())
        if s >= args.warmup:
            for key, value in (("step", total), ("fwd", forward), ("bwd", backward - forward),
                               ("opt", total - backward), ("cpu", cpu)):
                times[key].append(value)
    median = {key: statistics.median(values) for key, values in times.items()}
    print("kind=%s regime=%s params=%d trainable=%d step_s=%.4f samples_s=%.3f fwd_s=%.4f bwd_s=%.4f opt_s=%.4f "
          "cpu_s=%.4f loss_first=%.7f loss_last=%.7f losses=%s"
          % (args.kind, args.regime, params_count, sum(p.numel() for p in params), median["step"],
             args.batch / median["step"], median["fwd"], median["bwd"], median["opt"], median["cpu"], losses[0],
             losses[-1], ",".join("%.7f" % v for v in losses)))

if __name__ == "__main__":
    main()
