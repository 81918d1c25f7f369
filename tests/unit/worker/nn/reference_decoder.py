#!/usr/bin/python3
"""Reference Llama / Qwen2 / Gemma 2 causal LMs in plain PyTorch, written from the published
Hugging Face definitions (modeling_llama.py, modeling_qwen2.py, modeling_gemma2.py): RMSNorm,
rotate_half RoPE (default, linear, llama3 inv_freq), repeat_kv grouped-query attention with an
additive 4-D causal/padding mask, SiLU / tanh-GELU gated MLP, Gemma 2's (1 + w) norms, embedding
scale, soft-capping and sliding-window layers. A KV cache is kept as concatenated tensors.

Usage: reference_decoder.py MODEL_DIR CASE_FILE
MODEL_DIR holds config.json + model.safetensors; CASE_FILE (safetensors, written by the C++ test)
holds input_ids and attention_mask [B, L] (left-padded), decode_tokens [B, S] and the C++ side's
prefill_logits [B, L, V] and decode_logits [B, S, V]. The reference runs the prefill, then S
cached steps feeding decode_tokens, and prints
  prefill_max_abs_diff=X decode_max_abs_diff=Y greedy_agree=A/S*B
comparing logits at real (unpadded) positions. Exit 1 on any error."""
import json
import math
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = bytearray(data[base + begin:base + end])
        t = torch.frombuffer(raw, dtype=DTYPES[info["dtype"]]) if raw else torch.empty(0, dtype=DTYPES[info["dtype"]])
        out[name] = t.reshape(info["shape"])
    return out


class Reference:
    def __init__(self, model_dir):
        with open(model_dir + "/config.json") as f:
            self.cfg = json.load(f)
        self.w = {k: v.float() for k, v in read_safetensors(model_dir + "/model.safetensors").items()}
        c = self.cfg
        self.type = c["model_type"]
        assert self.type in ("llama", "qwen2", "gemma2"), self.type
        self.gemma = self.type == "gemma2"
        self.hidden = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.kv_heads = c["num_key_value_heads"]
        self.head_dim = c.get("head_dim") or self.hidden // self.heads
        self.layers = c["num_hidden_layers"]
        self.eps = c["rms_norm_eps"]
        if self.gemma:
            self.scaling = c["query_pre_attn_scalar"] ** -0.5
            self.attn_softcap = c.get("attn_logit_softcapping")
            self.final_softcap = c.get("final_logit_softcapping")
            self.window = c["sliding_window"]
        else:
            assert not c.get("use_sliding_window", False)
            self.scaling = self.head_dim ** -0.5
            self.attn_softcap = self.final_softcap = None
            self.window = None
        self.inv_freq = self.rope_inv_freq()

    def rope_inv_freq(self):
        c, dim = self.cfg, self.head_dim
        base = c.get("rope_theta", 10000.0)
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
        scaling = c.get("rope_scaling")
        if not scaling:
            return inv_freq
        kind = scaling.get("rope_type", scaling.get("type"))
        if kind == "linear":
            return inv_freq / scaling["factor"]
        assert kind == "llama3", kind
        factor = scaling["factor"]
        low_freq_factor = scaling["low_freq_factor"]
        high_freq_factor = scaling["high_freq_factor"]
        old_context_len = scaling["original_max_position_embeddings"]
        low_freq_wavelen = old_context_len / low_freq_factor
        high_freq_wavelen = old_context_len / high_freq_factor
        wavelen = 2 * math.pi / inv_freq
        inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
        smooth_factor = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
        smoothed_inv_freq = (1 - smooth_factor) * inv_freq_llama / factor + smooth_factor * inv_freq_llama
        is_medium_freq = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
        return torch.where(is_medium_freq, smoothed_inv_freq, inv_freq_llama)

    def norm(self, x, name):
        h = x.float()
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        w = self.w[name]
        return h * (1.0 + w) if self.gemma else w * h

    def linear(self, x, name, bias=False):
        y = x @ self.w[name + ".weight"].t()
        return y + self.w[name + ".bias"] if bias else y

    @staticmethod
    def rotate_half(x):
        x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
        return torch.cat((-x2, x1), dim=-1)

    def causal_mask(self, attention_mask, past, length, window):
        total = past + length
        min_value = torch.finfo(torch.float32).min
        cache_position = torch.arange(past, total)
        mask = torch.full((length, total), min_value)
        mask = torch.triu(mask, diagonal=1)
        mask = mask * (torch.arange(total) > cache_position.reshape(-1, 1))
        if window is not None:
            too_old = torch.arange(total)[None, :] <= cache_position.reshape(-1, 1) - window
            mask = mask.masked_fill(too_old, min_value)
        mask = mask[None, None, :, :].expand(attention_mask.shape[0], 1, -1, -1).clone()
        padding = (mask + attention_mask[:, None, None, :].float()) == 0
        return mask.masked_fill(padding, min_value)

    def attention(self, x, i, cos, sin, mask, cache):
        b, l, _ = x.shape
        p = "model.layers.%d.self_attn." % i
        bias = self.type == "qwen2" or self.cfg.get("attention_bias", False)
        q = self.linear(x, p + "q_proj", bias).view(b, l, self.heads, self.head_dim).transpose(1, 2)
        k = self.linear(x, p + "k_proj", bias).view(b, l, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.linear(x, p + "v_proj", bias).view(b, l, self.kv_heads, self.head_dim).transpose(1, 2)
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
        q = q * cos + self.rotate_half(q) * sin
        k = k * cos + self.rotate_half(k) * sin
        if i in cache:
            k = torch.cat([cache[i][0], k], dim=2)
            v = torch.cat([cache[i][1], v], dim=2)
        cache[i] = (k, v)
        n_rep = self.heads // self.kv_heads
        t = k.shape[2]
        k = k[:, :, None].expand(b, self.kv_heads, n_rep, t, self.head_dim).reshape(b, self.heads, t, self.head_dim)
        v = v[:, :, None].expand(b, self.kv_heads, n_rep, t, self.head_dim).reshape(b, self.heads, t, self.head_dim)
        weights = torch.matmul(q, k.transpose(2, 3)) * self.scaling
        if self.attn_softcap is not None:
            weights = torch.tanh(weights / self.attn_softcap) * self.attn_softcap
        weights = torch.softmax(weights + mask, dim=-1, dtype=torch.float32)
        out = torch.matmul(weights, v).transpose(1, 2).reshape(b, l, self.heads * self.head_dim)
        return self.linear(out, p + "o_proj", self.cfg.get("attention_bias", False))

    def mlp(self, x, i):
        p = "model.layers.%d.mlp." % i
        bias = self.cfg.get("mlp_bias", False)
        gate = self.linear(x, p + "gate_proj", bias)
        act = torch.nn.functional.gelu(gate, approximate="tanh") if self.gemma else torch.nn.functional.silu(gate)
        return self.linear(act * self.linear(x, p + "up_proj", bias), p + "down_proj", bias)

    def forward(self, ids, attention_mask, cache):
        past = cache[0][0].shape[2] if cache else 0
        b, l = ids.shape
        h = self.w["model.embed_tokens.weight"][ids]
        if self.gemma:
            h = h * torch.tensor(self.hidden ** 0.5, dtype=h.dtype)
        position_ids = attention_mask.long().cumsum(-1) - 1
        position_ids.masked_fill_(attention_mask == 0, 1)
        position_ids = position_ids[:, -l:]
        freqs = (self.inv_freq[None, :, None].expand(b, -1, 1) @ position_ids[:, None, :].float()).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        full = self.causal_mask(attention_mask, past, l, None)
        sliding = self.causal_mask(attention_mask, past, l, self.window) if self.window else full
        for i in range(self.layers):
            p = "model.layers.%d." % i
            mask = sliding if (self.gemma and i % 2 == 0) else full
            attn = self.attention(self.norm(h, p + "input_layernorm.weight"), i, cos, sin, mask, cache)
            if self.gemma:
                h = h + self.norm(attn, p + "post_attention_layernorm.weight")
                m = self.mlp(self.norm(h, p + "pre_feedforward_layernorm.weight"), i)
                h = h + self.norm(m, p + "post_feedforward_layernorm.weight")
            else:
                h = h + attn
                h = h + self.mlp(self.norm(h, p + "post_attention_layernorm.weight"), i)
        h = self.norm(h, "model.norm.weight")
        head = self.w.get("lm_head.weight")
        if head is None or self.cfg.get("tie_word_embeddings", False):
            head = self.w["model.embed_tokens.weight"]
        logits = h @ head.t()
        if self.final_softcap is not None:
            logits = torch.tanh(logits / self.final_softcap) * self.final_softcap
        return logits


def main():
    torch.set_num_threads(1)
    model = Reference(sys.argv[1])
    case = read_safetensors(sys.argv[2])
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
            logits = model.forward(tokens[:, s:s + 1], mask, cache)
            last = logits[:, -1]
            decode_diff = max(decode_diff, (last - want_decode[:, s]).abs().max().item())
    print("prefill_max_abs_diff=%.3g decode_max_abs_diff=%.3g greedy_agree=%d/%d"
          % (prefill_diff, decode_diff, agree, tokens.numel()))


if __name__ == "__main__":
    main()
