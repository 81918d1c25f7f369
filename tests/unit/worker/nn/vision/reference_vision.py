#!/usr/bin/python3
"""Reference CLIP / SigLIP / ViT vision encoders in plain PyTorch, written from the published
Hugging Face definitions (modeling_clip.py, modeling_siglip.py, modeling_vit.py) for checking the
C++ towers in worker/nn/vision on tiny random checkpoints:
  CLIP   CLIPVisionEmbeddings (class token, bias-free patch conv, learned positions), pre_layrnorm,
         pre-norm encoder layers (quick_gelu MLP), post_layernorm on the class token,
         visual_projection; CLIPModel's image_embeds = that / its L2 norm.
  SigLIP patch conv with bias + positions, encoder layers (tanh GELU), post_layernorm, the
         multihead attention pooling head (nn.MultiheadAttention with a learned probe, then
         layernorm + MLP residual); SiglipModel's image_embeds = pooler_output / its L2 norm.
  ViT    ViTEmbeddings (mask_token over masked patches, cls token, positions), ViTLayer
         (layernorm_before / layernorm_after), hidden_states = embeddings + each layer; the ELM
         embedding is mean over hidden states then over tokens; ViTForMaskedImageModeling's SimMIM
         loss (1x1 conv + PixelShuffle decoder, L1 over masked pixels / count / channels).

Usage: reference_vision.py CASE_DIR [CASE_DIR ...]
Each CASE_DIR holds config.json + model.safetensors and case.safetensors (written by the C++ test):
pixels [B, C, S, S] and the C++ side's features and embeds [B, D]; for a masked-image-modeling ViT
also bool_masked_pos [B, N] (U8), masked_features [B, D] and simmim_loss [1]. Prints one line per case,
  NAME: features_max_abs_diff=X embeds_max_abs_diff=Y [masked_features_max_abs_diff=Z simmim_loss_abs_diff=W]
with NAME the directory's base name. Exit 1 on any error."""
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64,
          "U8": torch.uint8, "BOOL": torch.bool}


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


def layer_norm(x, w, prefix, eps):
    return F.layer_norm(x, (x.shape[-1],), w[prefix + ".weight"], w[prefix + ".bias"], eps)


def linear(x, w, prefix, bias=True):
    b = w[prefix + ".bias"] if bias and (prefix + ".bias") in w else None
    return F.linear(x, w[prefix + ".weight"], b)


def act(name, x):
    if name == "quick_gelu":
        return x * torch.sigmoid(1.702 * x)
    if name == "gelu":
        return F.gelu(x)
    if name in ("gelu_pytorch_tanh", "gelu_new", "gelu_fast"):
        return F.gelu(x, approximate="tanh")
    raise ValueError("activation " + name)


def attend(q, k, v, heads):
    """Eager attention: per-head softmax(q k^T * d^-0.5) v; q [B, Lq, H], k/v [B, Lk, H]."""
    b, lq, h = q.shape
    lk = k.shape[1]
    d = h // heads
    qh = q.view(b, lq, heads, d).transpose(1, 2)
    kh = k.view(b, lk, heads, d).transpose(1, 2)
    vh = v.view(b, lk, heads, d).transpose(1, 2)
    weights = torch.softmax((qh @ kh.transpose(2, 3)) * d ** -0.5, dim=-1)
    return (weights @ vh).transpose(1, 2).reshape(b, lq, h)


def tower_layer(x, w, p, cfg):
    """CLIPEncoderLayer / SiglipEncoderLayer."""
    eps, heads = cfg["layer_norm_eps"], cfg["num_attention_heads"]
    h = layer_norm(x, w, p + "layer_norm1", eps)
    a = attend(linear(h, w, p + "self_attn.q_proj"), linear(h, w, p + "self_attn.k_proj"),
               linear(h, w, p + "self_attn.v_proj"), heads)
    x = x + linear(a, w, p + "self_attn.out_proj")
    h = layer_norm(x, w, p + "layer_norm2", eps)
    return x + linear(act(cfg["hidden_act"], linear(h, w, p + "mlp.fc1")), w, p + "mlp.fc2")


def patchify(pixels, weight, bias, patch):
    return F.conv2d(pixels, weight, bias, stride=patch).flatten(2).transpose(1, 2)


def clip_features(cfg, w, pixels):
    v = cfg["vision_config"]
    e = "vision_model.embeddings."
    patches = patchify(pixels, w[e + "patch_embedding.weight"], None, v["patch_size"])
    cls = w[e + "class_embedding"].expand(pixels.shape[0], 1, -1)
    x = torch.cat([cls, patches], dim=1) + w[e + "position_embedding.weight"][None]
    x = layer_norm(x, w, "vision_model.pre_layrnorm", v["layer_norm_eps"])
    for i in range(v["num_hidden_layers"]):
        x = tower_layer(x, w, "vision_model.encoder.layers.%d." % i, v)
    pooled = layer_norm(x[:, 0, :], w, "vision_model.post_layernorm", v["layer_norm_eps"])
    return linear(pooled, w, "visual_projection", bias=False)


def siglip_features(cfg, w, pixels):
    v = cfg["vision_config"]
    e = "vision_model.embeddings."
    x = patchify(pixels, w[e + "patch_embedding.weight"], w[e + "patch_embedding.bias"], v["patch_size"])
    x = x + w[e + "position_embedding.weight"][None]
    for i in range(v["num_hidden_layers"]):
        x = tower_layer(x, w, "vision_model.encoder.layers.%d." % i, v)
    x = layer_norm(x, w, "vision_model.post_layernorm", v["layer_norm_eps"])
    # SiglipMultiheadAttentionPoolingHead through torch's own MultiheadAttention (batch_first).
    hd = "vision_model.head."
    hidden = v["hidden_size"]
    mha = torch.nn.MultiheadAttention(hidden, v["num_attention_heads"], batch_first=True)
    mha.load_state_dict({"in_proj_weight": w[hd + "attention.in_proj_weight"],
                         "in_proj_bias": w[hd + "attention.in_proj_bias"],
                         "out_proj.weight": w[hd + "attention.out_proj.weight"],
                         "out_proj.bias": w[hd + "attention.out_proj.bias"]})
    mha.eval()
    probe = w[hd + "probe"].repeat(x.shape[0], 1, 1)
    h = mha(probe, x, x, need_weights=False)[0]
    n = layer_norm(h, w, hd + "layernorm", v["layer_norm_eps"])
    h = h + linear(act(v["hidden_act"], linear(n, w, hd + "mlp.fc1")), w, hd + "mlp.fc2")
    return h[:, 0]


def vit_hidden_states(cfg, w, pre, pixels, mask):
    """ViTModel: the embeddings output and every layer's output (output_hidden_states)."""
    e = pre + "embeddings."
    x = patchify(pixels, w[e + "patch_embeddings.projection.weight"], w[e + "patch_embeddings.projection.bias"],
                 cfg["patch_size"])
    if mask is not None:
        m = mask.unsqueeze(-1).type_as(x)
        x = x * (1.0 - m) + w[e + "mask_token"].expand(x.shape[0], x.shape[1], -1) * m
    x = torch.cat([w[e + "cls_token"].expand(x.shape[0], -1, -1), x], dim=1) + w[e + "position_embeddings"]
    states = [x]
    eps, heads = cfg["layer_norm_eps"], cfg["num_attention_heads"]
    for i in range(cfg["num_hidden_layers"]):
        p = pre + "encoder.layer.%d." % i
        h = layer_norm(x, w, p + "layernorm_before", eps)
        a = attend(linear(h, w, p + "attention.attention.query"), linear(h, w, p + "attention.attention.key"),
                   linear(h, w, p + "attention.attention.value"), heads)
        x = x + linear(a, w, p + "attention.output.dense")
        h = layer_norm(x, w, p + "layernorm_after", eps)
        x = x + linear(act(cfg["hidden_act"], linear(h, w, p + "intermediate.dense")), w, p + "output.dense")
        states.append(x)
    return states


def vit_embedding(cfg, w, pre, pixels, mask):
    states = vit_hidden_states(cfg, w, pre, pixels, mask)
    return torch.stack(states).mean(dim=0).mean(dim=1)


def simmim_loss(cfg, w, pre, pixels, mask):
    """ViTForMaskedImageModeling.forward's masked_im_loss."""
    x = vit_hidden_states(cfg, w, pre, pixels, mask)[-1]
    x = layer_norm(x, w, pre + "layernorm", cfg["layer_norm_eps"])[:, 1:]
    b, n, c = x.shape
    side = math.floor(n ** 0.5)
    grid = x.permute(0, 2, 1).reshape(b, c, side, side)
    recon = F.pixel_shuffle(F.conv2d(grid, w["decoder.0.weight"], w["decoder.0.bias"]), cfg["encoder_stride"])
    size = cfg["image_size"] // cfg["patch_size"]
    p = cfg["patch_size"]
    m = mask.reshape(-1, size, size).repeat_interleave(p, 1).repeat_interleave(p, 2).unsqueeze(1).contiguous()
    l1 = F.l1_loss(pixels, recon, reduction="none")
    return (l1 * m).sum() / (m.sum() + 1e-5) / cfg["num_channels"]


def check_case(case_dir):
    with open(os.path.join(case_dir, "config.json")) as f:
        cfg = json.load(f)
    w = {k: v.float() for k, v in load_tensors(os.path.join(case_dir, "model.safetensors")).items()}
    case = load_tensors(os.path.join(case_dir, "case.safetensors"))
    pixels = case["pixels"].float()
    kind = cfg["model_type"]
    extra = []
    with torch.no_grad():
        if kind == "clip":
            features = clip_features(cfg, w, pixels)
            embeds = features / features.norm(p=2, dim=-1, keepdim=True)
        elif kind == "siglip":
            features = siglip_features(cfg, w, pixels)
            embeds = features / features.norm(p=2, dim=-1, keepdim=True)
        elif kind == "vit":
            pre = "vit." if "vit.embeddings.cls_token" in w else ""
            features = embeds = vit_embedding(cfg, w, pre, pixels, None)
            if "bool_masked_pos" in case:
                mask = case["bool_masked_pos"].bool()
                masked = vit_embedding(cfg, w, pre, pixels, mask)
                loss = simmim_loss(cfg, w, pre, pixels, mask)
                masked_diff = (masked - case["masked_features"]).abs().max().item()
                extra.append("masked_features_max_abs_diff=%.3g" % masked_diff)
                extra.append("simmim_loss_abs_diff=%.3g" % abs(loss.item() - case["simmim_loss"].reshape(-1)[0].item()))
        else:
            raise ValueError("model_type " + kind)
    out = ["features_max_abs_diff=%.3g" % (features - case["features"]).abs().max().item(),
           "embeds_max_abs_diff=%.3g" % (embeds - case["embeds"]).abs().max().item()] + extra
    print("%s: %s" % (os.path.basename(os.path.normpath(case_dir)), " ".join(out)))


def main():
    if len(sys.argv) < 2:
        raise ValueError("usage: reference_vision.py CASE_DIR [CASE_DIR ...]")
    for case_dir in sys.argv[1:]:
        check_case(case_dir)


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # the C++ test shows this output on failure
        print("reference_vision.py: %s: %s" % (type(exc).__name__, exc))
        sys.exit(1)
