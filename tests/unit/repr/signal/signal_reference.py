#!/usr/bin/env python3
"""Reference outputs for the signal representation tests (run at test time with /usr/bin/python3).

Reads a JSON list of jobs (argv[1]); each job reads raw little-endian arrays written by the C++ test
and writes the reference result next to them. Operations:
  resize:     PIL Image.fromarray(uint8 HxWx3).resize((out_w, out_h), filter)        -> uint8
  process:    transformers' slow image-processor steps written out here: PIL resize (shortest edge
              or height x width), center crop with transformers' offsets and zero padding,
              rescale (float64 multiply, float32), normalize in float32, HWC -> CHW  -> float32
  minmax:     upstream normalize on the float32 segment x (numpy's float32 semantics)   -> float32
  pnorm:      upstream percentile normalize of float32 x with np.float64 p1 / p99       -> float32
  stack:      (normalize(x) * 255).astype(np.uint8) on float32 x, 3 channels            -> uint8
  percentile: np.percentile(values_float64, [1, 99])                                    -> JSON
Exit code 3 when numpy or PIL is missing.
"""
import json
import math
import sys

try:
    import numpy as np
    from PIL import Image
except ImportError as e:  # pragma: no cover
    print(f"missing Python module: {e}", file=sys.stderr)
    sys.exit(3)


def upstream_normalize(x):
    mn, mx = np.min(x), np.max(x)
    return np.clip((x - mn) / (mx - mn + 1e-6), 0, 1), float(mn), float(mx)


def upstream_percentile_normalize(x, p1, p99):
    p1, p99 = np.float64(p1), np.float64(p99)
    return np.clip((x - (p1 - 0.5)) / ((p99 + 0.5) - (p1 - 0.5) + 1e-6), 0, 1)


def resize_size(h, w, cfg):
    if cfg["mode"] == "height_width":
        return cfg["height"], cfg["width"]
    s = cfg["shortest_edge"]
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = s, int(s * long / short)
    return (new_long, new_short) if w <= h else (new_short, new_long)


def center_crop(image, crop_h, crop_w):  # image: HWC, transformers.image_transforms.center_crop
    orig_h, orig_w = image.shape[:2]
    top = (orig_h - crop_h) // 2
    bottom = top + crop_h
    left = (orig_w - crop_w) // 2
    right = left + crop_w
    if top >= 0 and bottom <= orig_h and left >= 0 and right <= orig_w:
        return image[top:bottom, left:right]
    new_h, new_w = max(crop_h, orig_h), max(crop_w, orig_w)
    new_image = np.zeros_like(image, shape=(new_h, new_w) + image.shape[2:])
    top_pad = math.ceil((new_h - orig_h) / 2)
    left_pad = math.ceil((new_w - orig_w) / 2)
    new_image[top_pad:top_pad + orig_h, left_pad:left_pad + orig_w] = image
    top += top_pad
    bottom += top_pad
    left += left_pad
    right += left_pad
    return new_image[max(0, top):min(new_h, bottom), max(0, left):min(new_w, right)]


def process(image, cfg):
    h, w = image.shape[:2]
    if cfg["do_resize"]:
        oh, ow = resize_size(h, w, cfg)
        image = np.array(Image.fromarray(image).resize((ow, oh), resample=cfg["resample"]))
    if cfg["do_center_crop"]:
        image = center_crop(image, cfg["crop_height"], cfg["crop_width"])
    if cfg["do_rescale"]:
        image = (image.astype(np.float64) * cfg["rescale_factor"]).astype(np.float32)
    if cfg["do_normalize"]:
        if not np.issubdtype(image.dtype, np.floating):
            image = image.astype(np.float32)
        mean = np.array(cfg["image_mean"], dtype=image.dtype)
        std = np.array(cfg["image_std"], dtype=image.dtype)
        image = (image - mean) / std
    return np.ascontiguousarray(image.transpose(2, 0, 1)).astype(np.float32)


def main():
    jobs = json.load(open(sys.argv[1]))
    for job in jobs:
        op = job["op"]
        if op in ("resize", "process"):
            image = np.fromfile(job["in"], dtype=np.uint8).reshape(job["h"], job["w"], 3)
            if op == "resize":
                out = np.array(Image.fromarray(image).resize((job["out_w"], job["out_h"]), resample=job["filter"]))
            else:
                out = process(image, job["config"])
            out.tofile(job["out"])
        elif op in ("minmax", "stack"):
            x = np.fromfile(job["in"], dtype="<f4")
            y, mn, mx = upstream_normalize(x)
            assert y.dtype == np.float32
            if op == "minmax":
                y.tofile(job["out"])
                json.dump({"min": mn, "max": mx}, open(job["out"] + ".json", "w"))
            else:
                np.repeat((y * 255).astype(np.uint8)[:, None], 3, axis=1).tofile(job["out"])
        elif op == "pnorm":
            x = np.fromfile(job["in"], dtype="<f4")
            y = upstream_percentile_normalize(x, job["p1"], job["p99"])
            assert y.dtype == np.float32
            y.tofile(job["out"])
        elif op == "percentile":
            x = np.fromfile(job["in"], dtype="<f8")
            p = np.percentile(x, [1, 99])
            json.dump({"p1": float(p[0]), "p99": float(p[1])}, open(job["out"], "w"))
        else:
            raise SystemExit(f"unknown op {op}")


if __name__ == "__main__":
    main()
