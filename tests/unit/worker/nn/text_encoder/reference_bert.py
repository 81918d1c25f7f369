#!/usr/bin/python3
"""Reference BERT encoder in plain PyTorch, written from the published Hugging Face definition
(transformers' modeling_bert.py, eager attention, inference) for checking the C++ BertModel in
worker/nn/text_encoder on tiny random checkpoints. The module tree mirrors BertModel's
(embeddings / encoder.layer.N.{attention.self, attention.output, intermediate, output} / pooler),
and the checkpoint is loaded with load_state_dict(strict=True), so the C++ side's tensor names are
checked as well as its numbers:
  embeddings  LayerNorm(word(ids) + token_type(types) + position(arange(T)))
  attention   softmax(q k^T / sqrt(head_dim) + (1 - mask) * finfo(float32).min) v, per head
  layer       LayerNorm(dense(ctx) + x); LayerNorm(dense(act(intermediate(.))) + .)
  pooler      tanh(dense(last_hidden_state[:, 0]))

Usage: reference_bert.py MODEL_DIR CASE_FILE
MODEL_DIR holds config.json + model.safetensors (names with or without the "bert." prefix; cls.*
heads ignored). CASE_FILE (safetensors, written by the C++ test) holds input_ids, attention_mask and
token_type_ids [B, T] (I64) and the C++ side's last_hidden_state [B, T, H] and pooler_output [B, H].
Prints: last_hidden_state_max_abs_diff=X pooler_output_max_abs_diff=Y. Exit 1 on any error."""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F
from torch import nn

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}


def load_tensors(path):
    """All tensors of one safetensors file (8-byte header length, JSON header, raw data)."""
    with open(path, "rb") as f:
        blob = f.read()
    (header_len,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + header_len])
    start = 8 + header_len
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        lo, hi = entry["data_offsets"]
        dtype = DTYPES[entry["dtype"]]
        raw = bytearray(blob[start + lo:start + hi])
        flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(entry["shape"])
    return tensors


def activation(name):
    if name == "gelu":
        return F.gelu
    if name in ("gelu_new", "gelu_pytorch_tanh", "gelu_fast"):
        return lambda x: F.gelu(x, approximate="tanh")
    if name == "relu":
        return F.relu
    raise ValueError("hidden_act " + name)


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, ids, types):
        positions = torch.arange(ids.shape[1])[None]
        x = self.word_embeddings(ids) + self.token_type_embeddings(types)
        x = x + self.position_embeddings(positions)
        return self.LayerNorm(x)


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.head_dim = h // self.heads
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)

    def split(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, x, mask_bias):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim) + mask_bias
        ctx = torch.matmul(torch.softmax(scores, dim=-1), v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(x.shape[0], x.shape[1], -1)


class AddNorm(nn.Module):
    """BertSelfOutput / BertOutput: LayerNorm(dense(x) + residual)."""

    def __init__(self, c, width):
        super().__init__()
        self.dense = nn.Linear(width, c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        setattr(self, "self", SelfAttention(c))
        self.output = AddNorm(c, c["hidden_size"])

    def forward(self, x, mask_bias):
        return self.output(getattr(self, "self")(x, mask_bias), x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])
        self.act = activation(c.get("hidden_act", "gelu"))

    def forward(self, x):
        return self.act(self.dense(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = AddNorm(c, c["intermediate_size"])

    def forward(self, x, mask_bias):
        a = self.attention(x, mask_bias)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])


class Pooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])

    def forward(self, h):
        return torch.tanh(self.dense(h[:, 0]))


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)
        self.pooler = Pooler(c)

    def forward(self, ids, mask, types):
        bias = (1.0 - mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        x = self.embeddings(ids, types)
        for layer in self.encoder.layer:
            x = layer(x, bias)
        return x, self.pooler(x)


def main():
    model_dir, case_file = sys.argv[1], sys.argv[2]
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    assert cfg["model_type"] == "bert", cfg["model_type"]
    state = {}
    for name, t in load_tensors(os.path.join(model_dir, "model.safetensors")).items():
        if name.startswith("cls.") or name.endswith("position_ids"):
            continue
        state[name[len("bert."):] if name.startswith("bert.") else name] = t.to(torch.float32)
    model = Bert(cfg)
    model.load_state_dict(state, strict=True)
    model.eval()
    case = load_tensors(case_file)
    with torch.no_grad():
        hidden, pooled = model(case["input_ids"], case["attention_mask"], case["token_type_ids"])
    print("last_hidden_state_max_abs_diff=%.3g pooler_output_max_abs_diff=%.3g" % (
        (hidden - case["last_hidden_state"]).abs().max().item(),
        (pooled - case["pooler_output"]).abs().max().item()))


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # the C++ test shows this output on failure
        print("reference_bert.py: %s: %s" % (type(exc).__name__, exc))
        sys.exit(1)
