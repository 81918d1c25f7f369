#!/usr/bin/python3
"""Reference ECG encoders in plain PyTorch, written from the published definitions (the ST-MEM
paper and code as ECG-Bench vendors it: ST-MEM, MTAE, MLAE; MERL's ResNet and AttentionPool2d as
ECG-Bench's merl_blocks describe them), for the C++ parity test.

Usage: reference_ecg_encoders.py CASE_DIR...
Each CASE_DIR holds model.safetensors (SaveEcgEncoder: weights + "ecg_encoder.*" metadata) and
case.safetensors (the input signal, for MERL a text embedding, and the C++ outputs). Prints one
line "<kind>.<output>_max_abs_diff=X" per compared output. Exit 1 on any error."""
import json
import struct
import sys

import torch
import torch.nn.functional as F
from torch import nn

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = bytearray(data[8 + n + begin:8 + n + end])
        tensors[name] = torch.frombuffer(raw, dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
    return tensors, header.get("__metadata__", {})


def sincos(dim, n, leading, trailing):
    """get_1d_sincos_pos_embed: [sin(pos * omega), cos(pos * omega)], omega_k = 1 / 10000^(k / (dim / 2))."""
    omega = torch.arange(dim // 2, dtype=torch.float32) / (dim / 2.0)
    omega = 1.0 / (10000 ** omega)
    angles = torch.arange(n, dtype=torch.float32)[:, None] * omega[None, :]
    rows = [torch.zeros(leading, dim), torch.cat([angles.sin(), angles.cos()], dim=1), torch.zeros(trailing, dim)]
    return torch.cat(rows, dim=0)


class Vit:
    """Pre-norm transformer blocks and the MAE decoder pieces, read from a flat weight dict."""

    def __init__(self, w, cfg):
        self.w, self.cfg = w, cfg

    def ln(self, x, prefix, eps=1e-5):
        return F.layer_norm(x, (x.shape[-1],), self.w[prefix + ".weight"], self.w[prefix + ".bias"], eps)

    def linear(self, x, prefix):
        return F.linear(x, self.w[prefix + ".weight"], self.w.get(prefix + ".bias"))

    def block(self, x, prefix, heads):
        h = self.ln(x, prefix + ".attn.norm")
        q, k, v = self.linear(h, prefix + ".attn.fn.to_qkv").chunk(3, dim=-1)
        b, t, inner = q.shape
        d = inner // heads
        q, k, v = (z.reshape(b, t, heads, d).transpose(1, 2) for z in (q, k, v))
        att = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) * d ** -0.5, dim=-1)
        out = torch.matmul(att, v).transpose(1, 2).reshape(b, t, inner)
        if prefix + ".attn.fn.to_out.0.weight" in self.w:
            out = self.linear(out, prefix + ".attn.fn.to_out.0")
        x = x + out
        h = self.ln(x, prefix + ".ff.norm")
        h = self.linear(F.gelu(self.linear(h, prefix + ".ff.fn.net.0")), prefix + ".ff.fn.net.3")
        return x + h

    def encoder_blocks(self, x):
        for i in range(self.cfg["depth"]):
            x = self.block(x, "encoder.block%d" % i, self.cfg["heads"])
        return self.ln(x, "encoder.norm")

    def decoder_blocks(self, x):
        for i in range(self.cfg["decoder_depth"]):
            x = self.block(x, "decoder_blocks.%d" % i, self.cfg["decoder_heads"])
        return x

    def patch_embed(self, x):
        x = self.ln(x, "encoder.to_patch_embedding.1")
        x = self.linear(x, "encoder.to_patch_embedding.2")
        return self.ln(x, "encoder.to_patch_embedding.3")


def keep_count(n, ratio):
    return int(n * (1 - ratio))


def st_mem(vit, signal, ids_restore, ratio):
    w, cfg = vit.w, vit.cfg
    b, c, length = signal.shape
    p = cfg["patch_size"]
    n = length // p
    x = vit.patch_embed(signal.reshape(b, c, n, p))
    pos = w["encoder.pos_embedding"]
    x = x + pos[:, 1:n + 1, :].unsqueeze(1)
    width = x.shape[-1]
    if ids_restore is None:
        ids_restore = torch.arange(n).repeat(b, c, 1)
        mask = torch.zeros(b, c, n)
    else:
        keep = keep_count(n, ratio)
        ids_shuffle = torch.argsort(ids_restore, dim=2)
        x = torch.gather(x, 2, ids_shuffle[:, :, :keep].unsqueeze(-1).repeat(1, 1, 1, width))
        mask = torch.ones(b, c, n)
        mask[:, :, :keep] = 0
        mask = torch.gather(mask, 2, ids_restore)
    sep = w["encoder.sep_embedding"][None, None, None, :]
    left = sep.expand(b, c, -1, -1) + pos[:, :1, :].unsqueeze(1)
    right = sep.expand(b, c, -1, -1) + pos[:, -1:, :].unsqueeze(1)
    x = torch.cat([left, x, right], dim=2)
    leads = torch.stack([w["encoder.lead_embeddings.%d" % i] for i in range(c)])
    x = x + leads[None, :, None, :]
    encoded = vit.encoder_blocks(x.reshape(b, -1, width))
    y = vit.linear(encoded, "to_decoder_embedding")
    d = y.shape[-1]
    y = y.reshape(b, c, -1, d)
    tokens = w["mask_embedding"].unsqueeze(1).repeat(b, c, n + 2 - y.shape[2], 1)
    body = torch.gather(torch.cat([y[:, :, 1:-1, :], tokens], dim=2), 2, ids_restore.unsqueeze(-1).repeat(1, 1, 1, d))
    dpos = w["decoder_pos_embed"]
    body = body + dpos[:, 1:n + 1, :].unsqueeze(1)
    z = torch.cat([y[:, :, :1, :] + dpos[:, :1, :].unsqueeze(1), body, y[:, :, -1:, :] + dpos[:, -1:, :].unsqueeze(1)],
                  dim=2)
    preds, latents = [], []
    for lead in range(c):  # lead-wise decoding
        h = vit.decoder_blocks(z[:, lead])
        latents.append(h)
        preds.append(vit.linear(vit.ln(h, "decoder_norm", 1e-6), "decoder_head")[:, 1:-1, :])
    pred, latents = torch.stack(preds, dim=1), torch.stack(latents, dim=1)
    target = signal.reshape(b, c, n, p)
    loss = (((pred - target) ** 2).mean(dim=-1) * mask).sum() / mask.sum()
    return encoded, latents.permute(0, 3, 1, 2).mean(dim=2).permute(0, 2, 1), pred, loss


def cls_mae(vit, signal, ids_restore, ratio, time_patches):
    w, cfg = vit.w, vit.cfg
    b, c, length = signal.shape
    if time_patches:  # "b c (n p) -> b n (p c)"
        p = cfg["patch_size"]
        patches = signal.reshape(b, c, length // p, p).permute(0, 2, 3, 1).reshape(b, length // p, p * c)
    else:  # "b (n p) t -> b n (p t)", p = 1
        patches = signal
    n = patches.shape[1]
    pos = w["encoder.pos_embedding"]
    x = vit.patch_embed(patches) + pos[:, 1:, :]
    width = x.shape[-1]
    if ids_restore is None:
        ids_restore = torch.arange(n).repeat(b, 1)
        mask = torch.zeros(b, n)
    else:
        keep = keep_count(n, ratio)
        ids_shuffle = torch.argsort(ids_restore, dim=1)
        x = torch.gather(x, 1, ids_shuffle[:, :keep].unsqueeze(-1).repeat(1, 1, width))
        mask = torch.ones(b, n)
        mask[:, :keep] = 0
        mask = torch.gather(mask, 1, ids_restore)
    cls = w["encoder.cls_embedding"][None, None, :].expand(b, -1, -1) + pos[:, :1, :]
    encoded = vit.encoder_blocks(torch.cat([cls, x], dim=1))
    y = vit.linear(encoded, "to_decoder_embedding")
    d = y.shape[-1]
    tokens = w["mask_embedding"].repeat(b, n + 1 - y.shape[1], 1)
    body = torch.gather(torch.cat([y[:, 1:, :], tokens], dim=1), 1, ids_restore.unsqueeze(-1).repeat(1, 1, d))
    z = torch.cat([y[:, :1, :], body], dim=1) + w["decoder_pos_embed"][:, :n + 1, :]
    latents = vit.decoder_blocks(z)
    pred = vit.linear(vit.ln(latents, "decoder_norm", 1e-6), "decoder_head")[:, 1:, :]
    loss = (((pred - patches) ** 2).mean(dim=-1) * mask).sum() / mask.sum()
    return encoded, latents, pred, loss


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, width, stride):
        super().__init__()
        out = width * self.expansion
        self.conv1 = nn.Conv1d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm1d(width)
        self.conv2 = nn.Conv1d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm1d(width)
        self.conv3 = nn.Conv1d(width, out, 1, bias=False)
        self.bn3 = nn.BatchNorm1d(out)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != out:
            self.shortcut = nn.Sequential(nn.Conv1d(cin, out, 1, stride=stride, bias=False), nn.BatchNorm1d(out))

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        h = torch.relu(self.bn2(self.conv2(h)))
        return torch.relu(self.bn3(self.conv3(h)) + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, leads, width, blocks):
        super().__init__()
        self.conv1 = nn.Conv1d(leads, width, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm1d(width)
        cin = width
        for i, (count, stride) in enumerate(zip(blocks, (1, 2, 2, 2))):
            layers = []
            for j in range(count):
                layers.append(Bottleneck(cin, width * 2 ** i, stride if j == 0 else 1))
                cin = width * 2 ** i * 4
            setattr(self, "layer%d" % (i + 1), nn.Sequential(*layers))

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class AttentionPool(nn.Module):
    def __init__(self, length, dim, heads):
        super().__init__()
        self.positional_embedding = nn.Parameter(torch.zeros(1, length + 1, dim))
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.mhsa = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.c_proj = nn.Linear(dim, dim)

    def forward(self, x):
        x = x.permute(0, 2, 1)
        cls = (self.cls_token + self.positional_embedding[:, :1, :]).expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding
        out, _ = self.mhsa(x[:, :1, :], x, x)
        return self.c_proj(out).reshape(x.shape[0], -1)


class Merl(nn.Module):
    def __init__(self, cfg, length_out):
        super().__init__()
        dim = cfg["merl_dim"]
        self.resnet = ResNet(cfg["num_leads"], cfg["resnet_width"], cfg["resnet_blocks"])
        self.downconv = nn.Conv1d(cfg["resnet_width"] * 32, dim, 1)
        self.att_pool_head = AttentionPool(length_out, dim, cfg["merl_heads"])
        self.linear1 = nn.Linear(dim, dim, bias=False)
        self.linear2 = nn.Linear(dim, dim, bias=False)
        self.proj_t = nn.Sequential(nn.Linear(cfg["text_dim"], dim), nn.GELU(), nn.Linear(dim, dim))


def merl_loss(x, y, temperature=0.07):
    x, y = F.normalize(x, dim=-1), F.normalize(y, dim=-1)
    sim = x @ y.t() / temperature
    labels = torch.arange(x.shape[0])
    return F.cross_entropy(sim, labels) + F.cross_entropy(sim.t(), labels)


def diff(kind, name, ours, theirs):
    print("%s.%s_max_abs_diff=%.3g" % (kind, name, (ours.float() - theirs.float()).abs().max().item()))


def run_merl(cfg, weights, case, num_tokens):
    length_out = weights["att_pool_head.positional_embedding"].shape[1] - 1
    model = Merl(cfg, length_out)
    missing, unexpected = model.load_state_dict(weights, strict=False)
    assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)
    model.eval()
    signal, text = case["signal"], case["text"]
    out = model.resnet(signal)
    diff("merl", "resnet_out", case["resnet_out"], out)
    diff("merl", "embed", case["embed"], F.adaptive_avg_pool1d(out, num_tokens).transpose(1, 2))
    features = model.downconv(out)
    ecg = F.normalize(model.att_pool_head(features), dim=-1)
    pooled = F.adaptive_avg_pool1d(features, 1).reshape(features.shape[0], -1)
    view1, view2 = model.linear1(pooled), model.linear2(pooled)  # eval: dropout off
    text_proj = F.normalize(model.proj_t(text), dim=-1)
    diff("merl", "ecg", case["ecg"], ecg)
    diff("merl", "view1", case["view1"], view1)
    diff("merl", "view2", case["view2"], view2)
    diff("merl", "text_proj", case["text_proj"], text_proj)
    diff("merl", "cma", case["cma"], merl_loss(ecg, text_proj).reshape(1))
    diff("merl", "uma", case["uma"], merl_loss(view1, view2).reshape(1))


def run_mae(kind, cfg, weights, case, num_tokens):
    vit = Vit(weights, cfg)
    signal = case["signal"]
    n = weights["encoder.pos_embedding"].shape[1] - (2 if kind == "st_mem" else 1)
    trailing = 1 if kind == "st_mem" else 0
    diff(kind, "pos_embedding", weights["encoder.pos_embedding"][0], sincos(cfg["width"], n, 1, trailing))
    diff(kind, "decoder_pos_embed", weights["decoder_pos_embed"][0], sincos(cfg["decoder_width"], n, 1, trailing))

    def forward(restore):
        if kind == "st_mem":
            return st_mem(vit, signal, restore, cfg["mask_ratio"])
        return cls_mae(vit, signal, restore, cfg["mask_ratio"], kind == "mtae")

    encoded, tokens, pred, _ = forward(None)
    diff(kind, "encoded", case["encoded"], encoded)
    diff(kind, "tokens", case["tokens"], tokens)
    diff(kind, "pred", case["pred"], pred)
    diff(kind, "embed", case["embed"], F.adaptive_avg_pool1d(tokens.transpose(1, 2), num_tokens).transpose(1, 2))
    encoded, tokens, pred, loss = forward(case["masked_restore"])
    diff(kind, "masked_encoded", case["masked_encoded"], encoded)
    diff(kind, "masked_tokens", case["masked_tokens"], tokens)
    diff(kind, "masked_pred", case["masked_pred"], pred)
    diff(kind, "masked_loss", case["masked_loss"], loss.reshape(1))


def config_from(metadata):
    cfg = {}
    for key, value in metadata.items():
        if not key.startswith("ecg_encoder."):
            continue
        key = key[len("ecg_encoder."):]
        if key in ("kind", "preset"):
            cfg[key] = value
        elif key == "resnet_blocks":
            cfg[key] = [int(v) for v in value.split(",")] if value else []
        elif key in ("mask_ratio", "merl_dropout"):
            cfg[key] = float(value)
        else:
            cfg[key] = int(value)
    return cfg


def main():
    torch.set_grad_enabled(False)
    for case_dir in sys.argv[1:]:
        weights, metadata = read_safetensors(case_dir + "/model.safetensors")
        case, case_meta = read_safetensors(case_dir + "/case.safetensors")
        cfg = config_from(metadata)
        num_tokens = int(case_meta["num_tokens"])
        if cfg["kind"] == "merl":
            run_merl(cfg, weights, case, num_tokens)
        else:
            run_mae(cfg["kind"], cfg, weights, case, num_tokens)


if __name__ == "__main__":
    main()
