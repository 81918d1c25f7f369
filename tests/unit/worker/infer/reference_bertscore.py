#!/usr/bin/python3
"""Reference BERTScore in plain PyTorch, written from the published descriptions of RoBERTa / BERT
(transformers' modeling_roberta.py / modeling_bert.py, eager attention) and of bert_score's
algorithm (utils.py: sent_encode, get_bert_embedding, greedy_cos_idf; score(): idf off), for
checking worker/infer/bertscore on tiny random checkpoints. Everything is recomputed from the
texts, one text at a time (no padding), so the C++ side's tokenization, batching, padding and
position ids are all checked:
  tokens     text.strip(); "" -> [cls, sep]; byte-level BPE: " " + text (add_prefix_space=True),
             special tokens split out, GPT-2 regex pieces, byte -> unicode map, BPE by merge rank;
             WordPiece: lower case, split on whitespace and punctuation, greedy longest match with
             "##"; then cut to max_length - 2 and wrapped as [cls] ids [sep]
  encoder    embeddings LayerNorm(word + type + position); RoBERTa positions pad+1.. over non-pad
             tokens; the first LAYER layers of LayerNorm(dense(attn) + x), LayerNorm(dense(gelu) + .)
  matching   rows L2-normalised; P = mean over candidate tokens other than cls/sep of the max
             cosine with any reference token (cls/sep included); R the same from the reference;
             F = 2PR/(P+R) (0 when P+R = 0); an empty candidate or reference gives (0, 0, 0)

Usage: reference_bertscore.py MODEL_DIR CASE_JSON
CASE_JSON: {"layer": L, "candidates": [...], "references": [...], "candidate_ids": [[...]],
"reference_ids": [[...]], "scores": [[P, R, F], ...]} (ids and scores from the C++ side).
Prints: max_abs_diff=X token_mismatches=N pairs=M. Exit 1 on any error."""
import json
import math
import os
import struct
import sys

import regex
import torch
import torch.nn.functional as F
from torch import nn

GPT2_PATTERN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def load_tensors(path):
    """All tensors of one safetensors file (8-byte header length, JSON header, raw data)."""
    with open(path, "rb") as f:
        blob = f.read()
    (header_len,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + header_len])
    start = 8 + header_len
    dtypes = {"F32": torch.float32, "I64": torch.int64}
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        lo, hi = entry["data_offsets"]
        raw = bytearray(blob[start + lo:start + hi])
        out[name] = torch.frombuffer(raw, dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
    return out


# ---------------------------------------------------------------------------------------------
# Tokenizers


def byte_alphabet():
    """GPT-2's printable stand-in for every byte: printable Latin-1 bytes stand for themselves,
    the rest take code points from U+0100 upward in byte order."""
    keep = set(range(ord("!"), ord("~") + 1)) | set(range(0xA1, 0xAD)) | set(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(0x100 + extra)
            extra += 1
    return table


class ByteLevelBpe:
    def __init__(self, model_dir):
        with open(os.path.join(model_dir, "tokenizer.json"), encoding="utf-8") as f:
            spec = json.load(f)
        self.vocab = spec["model"]["vocab"]
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in spec["model"]["merges"]]
        self.rank = {pair: i for i, pair in enumerate(merges)}
        self.specials = {t["content"]: t["id"] for t in spec["added_tokens"]}
        self.cls = spec["post_processor"]["cls"][1]
        self.sep = spec["post_processor"]["sep"][1]
        self.alphabet = byte_alphabet()
        ordered = sorted(self.specials, key=len, reverse=True)
        self.special_re = regex.compile("(" + "|".join(regex.escape(s) for s in ordered) + ")")

    def merge(self, symbols):
        while len(symbols) > 1:
            pairs = [(self.rank.get((a, b), math.inf), i) for i, (a, b) in enumerate(zip(symbols, symbols[1:]))]
            best = min(pairs)[0]
            if best == math.inf:
                break
            first, second = symbols[min(pairs)[1]], symbols[min(pairs)[1] + 1]
            merged, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and symbols[i] == first and symbols[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(symbols[i])
                    i += 1
            symbols = merged
        return symbols

    def content_ids(self, text):
        text = " " + text  # bert_score passes add_prefix_space=True for RoBERTa / GPT-2
        ids = []
        for chunk in self.special_re.split(text):
            if not chunk:
                continue
            if chunk in self.specials:
                ids.append(self.specials[chunk])
                continue
            for piece in GPT2_PATTERN.findall(chunk):
                symbols = [self.alphabet[b] for b in piece.encode("utf-8")]
                ids.extend(self.vocab[s] for s in self.merge(symbols))
        return ids


class WordPiece:
    def __init__(self, model_dir):
        with open(os.path.join(model_dir, "vocab.txt"), encoding="utf-8") as f:
            tokens = [line.rstrip("\n") for line in f]
        self.vocab = {t: i for i, t in enumerate(tokens)}
        self.cls, self.sep, self.unk = self.vocab["[CLS]"], self.vocab["[SEP]"], self.vocab["[UNK]"]

    def words(self, text):
        out, word = [], ""
        for ch in text.lower():
            if ch.isspace():
                if word:
                    out.append(word)
                word = ""
            elif ch.isascii() and not ch.isalnum():
                if word:
                    out.append(word)
                out.append(ch)
                word = ""
            else:
                word += ch
        if word:
            out.append(word)
        return out

    def content_ids(self, text):
        ids = []
        for word in self.words(text):
            pieces, start = [], 0
            while start < len(word):
                end = len(word)
                while end > start:
                    candidate = word[start:end] if start == 0 else "##" + word[start:end]
                    if candidate in self.vocab:
                        break
                    end -= 1
                if end == start:
                    pieces = [self.unk]
                    break
                pieces.append(self.vocab[candidate])
                start = end
            ids.extend(pieces)
        return ids


def encode(tok, text, max_length):
    text = text.strip()
    if not text:
        return [tok.cls, tok.sep]
    return [tok.cls] + tok.content_ids(text)[:max_length - 2] + [tok.sep]


# ---------------------------------------------------------------------------------------------
# Encoder


class Block(nn.Module):
    """One post-LayerNorm transformer layer with HF's parameter names."""

    def __init__(self, c):
        super().__init__()
        h, inner = c["hidden_size"], c["intermediate_size"]
        self.heads = c["num_attention_heads"]
        self.q, self.k, self.v, self.o = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.norm1 = nn.LayerNorm(h, eps=c["layer_norm_eps"])
        self.up, self.down = nn.Linear(h, inner), nn.Linear(inner, h)
        self.norm2 = nn.LayerNorm(h, eps=c["layer_norm_eps"])

    def forward(self, x):
        t, h = x.shape
        d = h // self.heads
        q, k, v = (m(x).view(t, self.heads, d).transpose(0, 1) for m in (self.q, self.k, self.v))
        attn = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(d), dim=-1) @ v
        a = self.norm1(self.o(attn.transpose(0, 1).reshape(t, h)) + x)
        return self.norm2(self.down(F.gelu(self.up(a))) + a)


def hf_names(i):
    p = "encoder.layer.%d." % i
    return {"q": p + "attention.self.query", "k": p + "attention.self.key", "v": p + "attention.self.value",
            "o": p + "attention.output.dense", "norm1": p + "attention.output.LayerNorm",
            "up": p + "intermediate.dense", "down": p + "output.dense", "norm2": p + "output.LayerNorm"}


class Encoder:
    def __init__(self, model_dir, layers):
        with open(os.path.join(model_dir, "config.json")) as f:
            self.cfg = c = json.load(f)
        assert c.get("hidden_act", "gelu") == "gelu", c.get("hidden_act")
        tensors = {}
        for name, t in load_tensors(os.path.join(model_dir, "model.safetensors")).items():
            for prefix in ("roberta.", "bert."):
                if name.startswith(prefix):
                    name = name[len(prefix):]
            tensors[name] = t.to(torch.float32)
        self.word = tensors["embeddings.word_embeddings.weight"]
        self.position = tensors["embeddings.position_embeddings.weight"]
        self.type0 = tensors["embeddings.token_type_embeddings.weight"][0]
        self.norm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.norm.weight.data = tensors["embeddings.LayerNorm.weight"]
        self.norm.bias.data = tensors["embeddings.LayerNorm.bias"]
        self.blocks = []
        for i in range(layers):
            block = Block(c)
            for attr, name in hf_names(i).items():
                getattr(block, attr).weight.data = tensors[name + ".weight"]
                getattr(block, attr).bias.data = tensors[name + ".bias"]
            self.blocks.append(block)

    def positions(self, ids):
        if self.cfg["model_type"] == "roberta":
            pad = self.cfg["pad_token_id"]
            real = (ids != pad).long()
            return torch.cumsum(real, 0) * real + pad
        return torch.arange(len(ids))

    def __call__(self, id_list):
        ids = torch.tensor(id_list, dtype=torch.long)
        x = self.norm(self.word[ids] + self.type0 + self.position[self.positions(ids)])
        for block in self.blocks:
            x = block(x)
        return x


def max_length(model_dir, cfg):
    limit = cfg["max_position_embeddings"]
    if cfg["model_type"] == "roberta":
        limit -= cfg["pad_token_id"] + 1
    path = os.path.join(model_dir, "tokenizer_config.json")
    if os.path.exists(path):
        with open(path) as f:
            limit = min(limit, int(json.load(f).get("model_max_length", limit)))
    return limit


def greedy_match(cand, ref, cand_ids, ref_ids, special):
    wc = [i for i, t in enumerate(cand_ids) if t not in special]
    wr = [j for j, t in enumerate(ref_ids) if t not in special]
    if not wc or not wr:
        return 0.0, 0.0, 0.0
    c = cand / cand.norm(dim=-1, keepdim=True)
    r = ref / ref.norm(dim=-1, keepdim=True)
    sim = (c @ r.T).double()
    p = sim.max(dim=1).values[wc].mean().item()
    rec = sim.max(dim=0).values[wr].mean().item()
    f = 0.0 if p + rec == 0 else 2 * p * rec / (p + rec)
    return p, rec, f


def main():
    model_dir, case_file = sys.argv[1], sys.argv[2]
    with open(case_file, encoding="utf-8") as f:
        case = json.load(f)
    encoder = Encoder(model_dir, case["layer"])
    cfg = encoder.cfg
    tok = ByteLevelBpe(model_dir) if cfg["model_type"] == "roberta" else WordPiece(model_dir)
    limit = max_length(model_dir, cfg)
    special = {tok.cls, tok.sep}
    mismatches, worst = 0, 0.0
    with torch.no_grad():
        for i, (cand, ref) in enumerate(zip(case["candidates"], case["references"])):
            cand_ids, ref_ids = encode(tok, cand, limit), encode(tok, ref, limit)
            for side, ids, theirs in (("candidate", cand_ids, case["candidate_ids"][i]),
                                      ("reference", ref_ids, case["reference_ids"][i])):
                if ids != theirs:
                    mismatches += 1
                    print("pair %d %s: reference ids %s, C++ ids %s" % (i, side, ids, theirs))
            ours = greedy_match(encoder(cand_ids), encoder(ref_ids), cand_ids, ref_ids, special)
            diff = max(abs(a - b) for a, b in zip(ours, case["scores"][i]))
            if diff > 1e-5:
                print("pair %d: reference %s, C++ %s" % (i, ours, case["scores"][i]))
            worst = max(worst, diff)
    print("max_abs_diff=%.3g token_mismatches=%d pairs=%d" % (worst, mismatches, len(case["candidates"])))


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # the C++ test shows this output on failure
        print("reference_bertscore.py: %s: %s" % (type(exc).__name__, exc))
        sys.exit(1)
