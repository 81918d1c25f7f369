#!/usr/bin/python3
"""Independent safetensors code for the C++ interop test (numpy only, following the format spec in
https://github.com/huggingface/safetensors: u64 little-endian header length, JSON header padded
with spaces to 8 bytes, little-endian data).

  safetensors_reference.py write PATH   writes a file with F32, F16 (subnormal, inf, nan), BF16, I64, U8
  safetensors_reference.py read PATH    validates PATH's layout and prints one line per tensor:
                                        name dtype shape values (floats printed with repr)
"""
import json
import struct
import sys

import numpy as np


def bf16_bits(values):
    f = np.asarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (f + 0x7FFF + ((f >> 16) & 1)) >> 16  # round to nearest even (no nan inputs here)
    return rounded.astype(np.uint16)


def write(path):
    tensors = [
        ("a.f32", "F32", [2, 3], np.arange(6, dtype=np.float32) * np.float32(0.5) - np.float32(1)),
        ("b.f16", "F16", [5], np.array([1.0, 2.0 ** -24, np.inf, np.nan, -65504.0], dtype=np.float16)),
        ("c.bf16", "BF16", [2, 1], bf16_bits([3.140625, -1e-3])),
        ("d.i64", "I64", [], np.array([-7], dtype=np.int64)),
        ("e.u8", "U8", [3], np.array([0, 128, 255], dtype=np.uint8)),
    ]
    header, blobs, offset = {"__metadata__": {"format": "pt", "writer": "numpy"}}, [], 0
    for name, dtype, shape, array in tensors:
        blob = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    assert n % 8 == 0, "header not padded to 8 bytes"
    header = json.loads(data[8:8 + n].decode())
    body = data[8 + n:]
    meta = header.pop("__metadata__", {})
    print("metadata", json.dumps(meta, sort_keys=True))
    end = 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        begin, stop = info["data_offsets"]
        assert begin == end, "offsets not contiguous"
        end = stop
        raw = body[begin:stop]
        dtype = info["dtype"]
        if dtype == "BF16":
            bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            values = bits.view(np.float32)
        else:
            values = np.frombuffer(raw, dtype={"F32": "<f4", "F16": "<f2", "I64": "<i8", "U8": "u1"}[dtype])
        size = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8, "U8": 1}[dtype]
        assert begin % size == 0, "tensor not aligned to its dtype"
        print(name, dtype, info["shape"], [repr(float(v)) for v in values])
    assert end == len(body), "trailing bytes"


if __name__ == "__main__":
    {"write": write, "read": read}[sys.argv[1]](sys.argv[2])
