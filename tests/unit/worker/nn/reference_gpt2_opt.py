#!/usr/bin/python3
"""Reference GPT-2 (GPT2LMHeadModel) and OPT (OPTForCausalLM) in plain PyTorch, written from the
published Hugging Face definitions (modeling_gpt2.py, modeling_opt.py), eager attention:

GPT-2: wte(ids) + wpe(position_ids) with position_ids = cumsum(mask) - 1, padding 1 (what
generate() passes); blocks h = x + attn(ln_1(x)), h + mlp(ln_2(h)); Conv1D layers (x @ W + b with W
[in, out]); c_attn split into q, k, v; scores q k^T / sqrt(head_dim) (scale_attn_weights)
/ (layer + 1) (scale_attn_by_inverse_layer_idx); mlp c_proj(act(c_fc(x))) with gelu_new
0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))); ln_f; lm_head tied to wte unless untied.

OPT: embed_tokens(ids) [-> project_in] + embed_positions(position + 2) with positions
cumsum(mask) * mask - 1 (OPTLearnedPositionalEmbedding); layers with q_proj(x) * head_dim^-0.5,
pre-LN (do_layer_norm_before) or post-LN, fc2(relu(fc1(x))); final_layer_norm only with
do_layer_norm_before; [project_out]; lm_head tied to embed_tokens unless untied.

Masks: additive 4-D causal + padding mask with the float32 minimum (transformers' AttentionMaskConverter).
A KV cache is kept as concatenated tensors.

Usage: reference_gpt2_opt.py MODEL_DIR CASE_FILE
MODEL_DIR holds config.json + model.safetensors; CASE_FILE (safetensors, written by the C++ test)
holds input_ids and attention_mask [B, L] (left-padded), decode_tokens [B, S] and the C++ side's
prefill_logits [B, L, V] and decode_logits [B, S, V]. Runs the prefill, then S cached steps
feeding decode_tokens, and prints
  prefill_max_abs_diff=X decode_max_abs_diff=Y greedy_agree=A/S*B
comparing logits at real (unpadded) positions. Exit 1 on any error."""
import json
import math
import sys

import torch

# The hand-written safetensors reader is shared with the Llama-family reference next to this file.
from reference_decoder import read_safetensors  # noqa: E402


def additive_mask(attention_mask, past, length):
    """[B, 1, L, past + L]: 0 where allowed, float32 min where causal-masked or padding."""
    total = past + length
    min_value = torch.finfo(torch.float32).min
    query = torch.arange(past, total).reshape(-1, 1)
    causal = torch.arange(total)[None, :] > query
    mask = torch.zeros(length, total).masked_fill(causal, min_value)
    mask = mask[None, None].expand(attention_mask.shape[0], 1, -1, -1).clone()
    padding = attention_mask[:, None, None, :] == 0
    return mask.masked_fill(padding, min_value)


def layer_norm(x, w, prefix, eps):
    weight = w.get(prefix + ".weight")
    bias = w.get(prefix + ".bias")
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), weight, bias, eps)


def attend(q, k, v, mask):
    weights = torch.matmul(q, k.transpose(-1, -2)) + mask
    weights = torch.softmax(weights, dim=-1, dtype=torch.float32)
    return torch.matmul(weights, v)


class Gpt2:
    def __init__(self, cfg, w):
        self.w, self.cfg = w, cfg
        self.hidden = cfg["n_embd"]
        self.heads = cfg["n_head"]
        self.head_dim = self.hidden // self.heads
        self.layers = cfg["n_layer"]
        self.eps = cfg["layer_norm_epsilon"]
        assert cfg["activation_function"] == "gelu_new", cfg["activation_function"]

    def conv1d(self, x, name):
        return x @ self.w[name + ".weight"] + self.w[name + ".bias"]

    @staticmethod
    def gelu_new(x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))

    def split_heads(self, t):
        b, l, _ = t.shape
        return t.view(b, l, self.heads, self.head_dim).permute(0, 2, 1, 3)

    def attention(self, x, i, mask, cache):
        p = "transformer.h.%d.attn." % i
        q, k, v = self.conv1d(x, p + "c_attn").split(self.hidden, dim=2)
        q, k, v = self.split_heads(q), self.split_heads(k), self.split_heads(v)
        if i in cache:
            k = torch.cat([cache[i][0], k], dim=-2)
            v = torch.cat([cache[i][1], v], dim=-2)
        cache[i] = (k, v)
        weights = torch.matmul(q, k.transpose(-1, -2))
        if self.cfg.get("scale_attn_weights", True):
            weights = weights / torch.full([], v.size(-1) ** 0.5, dtype=weights.dtype)
        if self.cfg.get("scale_attn_by_inverse_layer_idx", False):
            weights = weights / float(i + 1)
        weights = torch.softmax(weights + mask, dim=-1)
        out = torch.matmul(weights, v).permute(0, 2, 1, 3).contiguous()
        out = out.view(out.shape[0], out.shape[1], self.hidden)
        return self.conv1d(out, p + "c_proj")

    def forward(self, ids, attention_mask, cache):
        past = cache[0][0].shape[2] if cache else 0
        b, l = ids.shape
        position_ids = attention_mask.long().cumsum(-1) - 1
        position_ids.masked_fill_(attention_mask == 0, 1)
        position_ids = position_ids[:, -l:]
        h = self.w["transformer.wte.weight"][ids] + self.w["transformer.wpe.weight"][position_ids]
        mask = additive_mask(attention_mask, past, l)
        for i in range(self.layers):
            p = "transformer.h.%d." % i
            h = h + self.attention(layer_norm(h, self.w, p + "ln_1", self.eps), i, mask, cache)
            m = self.conv1d(self.gelu_new(self.conv1d(layer_norm(h, self.w, p + "ln_2", self.eps), p + "mlp.c_fc")),
                            p + "mlp.c_proj")
            h = h + m
        h = layer_norm(h, self.w, "transformer.ln_f", self.eps)
        head = self.w["transformer.wte.weight"] if self.cfg.get("tie_word_embeddings", True) else self.w["lm_head.weight"]
        return h @ head.t()


class Opt:
    def __init__(self, cfg, w):
        self.w, self.cfg = w, cfg
        self.hidden = cfg["hidden_size"]
        self.heads = cfg["num_attention_heads"]
        self.head_dim = self.hidden // self.heads
        self.scaling = self.head_dim ** -0.5
        self.layers = cfg["num_hidden_layers"]
        self.pre_norm = cfg.get("do_layer_norm_before", True)
        self.eps = 1e-5
        self.bias = cfg.get("enable_bias", True)
        assert cfg.get("activation_function", "relu") == "relu"

    def linear(self, x, name, bias):
        y = x @ self.w[name + ".weight"].t()
        return y + self.w[name + ".bias"] if bias else y

    def shape(self, t):
        b, l, _ = t.shape
        return t.view(b, l, self.heads, self.head_dim).transpose(1, 2).contiguous()

    def attention(self, x, i, mask, cache):
        p = "model.decoder.layers.%d.self_attn." % i
        q = self.shape(self.linear(x, p + "q_proj", self.bias) * self.scaling)
        k = self.shape(self.linear(x, p + "k_proj", self.bias))
        v = self.shape(self.linear(x, p + "v_proj", self.bias))
        if i in cache:
            k = torch.cat([cache[i][0], k], dim=2)
            v = torch.cat([cache[i][1], v], dim=2)
        cache[i] = (k, v)
        out = attend(q, k, v, mask).transpose(1, 2).reshape(x.shape[0], x.shape[1], self.hidden)
        return self.linear(out, p + "out_proj", self.bias)

    def forward(self, ids, attention_mask, cache):
        past = cache[0][0].shape[2] if cache else 0
        b, l = ids.shape
        w = self.w
        h = w["model.decoder.embed_tokens.weight"][ids]
        if "model.decoder.project_in.weight" in w:
            h = h @ w["model.decoder.project_in.weight"].t()
        positions = (torch.cumsum(attention_mask, dim=1) * attention_mask - 1).long()[:, past:]
        h = h + w["model.decoder.embed_positions.weight"][positions + 2]
        mask = additive_mask(attention_mask, past, l)
        for i in range(self.layers):
            p = "model.decoder.layers.%d." % i
            residual = h
            if self.pre_norm:
                h = layer_norm(h, w, p + "self_attn_layer_norm", self.eps)
            h = residual + self.attention(h, i, mask, cache)
            if not self.pre_norm:
                h = layer_norm(h, w, p + "self_attn_layer_norm", self.eps)
            residual = h
            if self.pre_norm:
                h = layer_norm(h, w, p + "final_layer_norm", self.eps)
            h = self.linear(torch.relu(self.linear(h, p + "fc1", self.bias)), p + "fc2", self.bias)
            h = residual + h
            if not self.pre_norm:
                h = layer_norm(h, w, p + "final_layer_norm", self.eps)
        if self.pre_norm and not self.cfg.get("_remove_final_layer_norm", False):
            h = layer_norm(h, w, "model.decoder.final_layer_norm", self.eps)
        if "model.decoder.project_out.weight" in w:
            h = h @ w["model.decoder.project_out.weight"].t()
        head = w["model.decoder.embed_tokens.weight"] if self.cfg.get("tie_word_embeddings", True) else w["lm_head.weight"]
        return h @ head.t()


def main():
    torch.set_num_threads(1)
    model_dir, case_file = sys.argv[1], sys.argv[2]
    with open(model_dir + "/config.json") as f:
        cfg = json.load(f)
    weights = {k: v.float() for k, v in read_safetensors(model_dir + "/model.safetensors").items()}
    kinds = {"gpt2": Gpt2, "opt": Opt}
    assert cfg["model_type"] in kinds, cfg["model_type"]
    model = kinds[cfg["model_type"]](cfg, weights)
    case = read_safetensors(case_file)
    ids, mask = case["input_ids"], case["attention_mask"]
    tokens, want_prefill, want_decode = case["decode_tokens"], case["prefill_logits"], case["decode_logits"]
    cache = {}
    with torch.no_grad():
        prefill = model.forward(ids, mask, cache)
        real = mask.bool()
        prefill_diff = (prefill - want_prefill).abs()[real].max().item()
        decode_diff, agree = 0.0, 0
        last = prefill[:, -1]
        for s in range(tokens.shape[1]):
            agree += int((last.argmax(-1) == tokens[:, s]).sum())
            mask = torch.cat([mask, torch.ones(mask.shape[0], 1, dtype=mask.dtype)], dim=1)
            last = model.forward(tokens[:, s:s + 1], mask, cache)[:, -1]
            decode_diff = max(decode_diff, (last - want_decode[:, s]).abs().max().item())
    print("prefill_max_abs_diff=%.3g decode_max_abs_diff=%.3g greedy_agree=%d/%d"
          % (prefill_diff, decode_diff, agree, tokens.numel()))


if __name__ == "__main__":
    main()
