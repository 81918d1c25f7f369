#!/usr/bin/env python3
"""Writes the binary files of the bad-input corpus (tests/data/bad) under OUT_DIR.

The repository keeps only text; the WFDB signal files, safetensors files, a UTF-16 catalog and the
checkpoint tensors are built here, deterministically, next to a copy of the text files (the test
driver copies tests/data/bad to a temporary directory and runs this script on the copy; the fuzz
scripts run it to seed their corpora). expected.tsv holds the exact message each file produces.

Usage: make_binary.py OUT_DIR
"""
import json
import os
import struct
import sys


def write(out, rel, data):
    path = os.path.join(out, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def le16(values):
    return b"".join(struct.pack("<h", v) for v in values)


def safetensors(header, data=b"", length=None):
    """An 8-byte little-endian header length, the header (a dict is dumped compactly) and data."""
    text = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + data


def tensor(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


# Checkpoint tensors (the layout worker/train/checkpoint.cc writes: "weights/", "optimizer/", "rng/").
CHECKPOINT_TENSORS = safetensors(
    {"__metadata__": {"format": "ecgbench-checkpoint"}, "weights/w": tensor("F32", [2], 0, 8)},
    struct.pack("<2f", 0.5, -1.5))
# Images whose checksum verifies but whose contents ReadCheckpoint rejects.
UNEXPECTED_TENSORS = safetensors({"extra/x": tensor("F32", [2], 0, 8)}, struct.pack("<2f", 0.5, -1.5))
F64_TENSORS = safetensors({"weights/w": tensor("F64", [1], 0, 8)}, struct.pack("<d", 0.5))
BAD_HEADER_TENSORS = safetensors({"weights/w": tensor("F32", [3], 0, 8)}, struct.pack("<2f", 0.5, -1.5))
# XXH3-128 of the images above, as state.json writes them ("%016x%016x" of the high and low
# halves; Python has no XXH3 without an extra package). If the bytes change, the checkpoint cases
# fail with a checksum message naming the new value.
XXH3 = {
    "checkpoint": "06420e1d4a8d639c4ee907f26d00809b",
    "unexpected": "4504072064252c6695d3d78ad7732842",
    "f64": "f96c587200ac6e33f4d090842178175f",
    "bad_header": "d46fc797d1c01461c47727b09ab78e3b",
}


def state_json(checksum, step=10):
    doc = {"format": 1, "step": step, "state": {"epoch": 0}, "tensors_xxh3_128": checksum}
    return (json.dumps(doc, indent=2) + "\n").encode()


def wfdb(out):
    # 2 signals x 10 samples in format 16 need 40 bytes; 20 are there.
    write(out, "wfdb/truncated_dat/rec.dat", le16(range(10)))
    # Format 212 for 2 x 4 samples is 12 bytes; this is the 16 bytes of format 16.
    write(out, "wfdb/size_mismatch_212/rec.dat", le16([1, 2, 3, 4, 5, 6, 7, 8]))
    # The header says 1234; the samples sum to 10.
    write(out, "wfdb/checksum_mismatch/rec.dat", le16([1, 2, 3, 4]))
    # The header skips 4096 bytes; the file has 8.
    write(out, "wfdb/byte_offset_past_end/rec.dat", le16([1, 2, 3, 4]))
    write(out, "wfdb/nan_gain/rec.dat", le16([1, 2, 3, 4]))


def catalogs(out):
    text = "ecg_id,patient_id,report,scp_codes,strat_fold,filename_hr\n1,15709.0,sinus,{},3,records500/00000/00001_hr\n"
    write(out, "csv/ptbxl_utf16/ptbxl_database.csv", text.encode("utf-16"))  # BOM FF FE, then UTF-16LE


def safetensors_files(out):
    d = "safetensors/"
    f32x2 = struct.pack("<2f", 1.0, 2.0)
    write(out, d + "empty.safetensors", b"")
    write(out, d + "too_short.safetensors", b"\x10\x00\x00\x00\x00")
    write(out, d + "header_past_end.safetensors", safetensors(b"{}", length=1000))
    write(out, d + "header_length_huge.safetensors", safetensors(b"{}", length=1 << 62))
    write(out, d + "bad_json.safetensors", safetensors(b'{"w":{"dtype":"F32",'))
    write(out, d + "not_an_object.safetensors", safetensors(b"[1,2,3]"))
    write(out, d + "offsets_past_end.safetensors", safetensors({"w": tensor("F32", [200], 0, 800)}, f32x2))
    write(out, d + "overlapping.safetensors",
          safetensors({"a": tensor("F32", [2], 0, 8), "b": tensor("F32", [2], 4, 12)}, f32x2 * 2))
    write(out, d + "gap.safetensors",
          safetensors({"a": tensor("F32", [1], 0, 4), "b": tensor("F32", [1], 8, 12)}, f32x2 + f32x2[:4]))
    write(out, d + "dtype_unknown.safetensors", safetensors({"w": tensor("F33", [2], 0, 8)}, f32x2))
    write(out, d + "shape_mismatch.safetensors", safetensors({"w": tensor("F32", [3], 0, 8)}, f32x2))
    write(out, d + "negative_dim.safetensors", safetensors({"w": tensor("F32", [-2], 0, 8)}, f32x2))
    write(out, d + "missing_offsets.safetensors", safetensors({"w": {"dtype": "F32", "shape": [2]}}, f32x2))
    write(out, d + "metadata_not_string.safetensors",
          safetensors({"__metadata__": {"epoch": 3}, "w": tensor("F32", [2], 0, 8)}, f32x2))
    write(out, d + "deep_json.safetensors", safetensors(b"{\"w\":" + b"[" * 64 + b"]" * 64 + b"}"))
    write(out, d + "name_not_utf8.safetensors",
          safetensors(b'{"w\xff":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', f32x2))


def checkpoints(out):
    d = "checkpoint/"
    good = CHECKPOINT_TENSORS
    write(out, d + "checksum_mismatch/tensors.safetensors", good)
    write(out, d + "checksum_mismatch/state.json", state_json("0" * 32))
    # Cut short after it was checksummed (a torn write): state.json has the full file's checksum.
    write(out, d + "tensors_truncated/tensors.safetensors", good[:40])
    write(out, d + "tensors_truncated/state.json", state_json(XXH3["checkpoint"]))
    write(out, d + "state_missing/tensors.safetensors", good)
    write(out, d + "state_bad_json/tensors.safetensors", good)
    write(out, d + "state_wrong_format/tensors.safetensors", good)
    write(out, d + "state_step_not_integer/tensors.safetensors", good)
    write(out, d + "tensors_missing/state.json", state_json(XXH3["checkpoint"]))
    for case, image, key in (("unexpected_tensor", UNEXPECTED_TENSORS, "unexpected"),
                             ("unsupported_dtype", F64_TENSORS, "f64"),
                             ("tensors_header_invalid", BAD_HEADER_TENSORS, "bad_header")):
        write(out, d + case + "/tensors.safetensors", image)
        write(out, d + case + "/state.json", state_json(XXH3[key]))
    # The latest checkpoint is corrupt and there is no earlier one to fall back to.
    write(out, d + "latest_corrupt_no_earlier/step-000000010/tensors.safetensors", good)
    write(out, d + "latest_corrupt_no_earlier/step-000000010/state.json", state_json("f" * 32))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_binary.py OUT_DIR")
    out = sys.argv[1]
    wfdb(out)
    catalogs(out)
    safetensors_files(out)
    checkpoints(out)


if __name__ == "__main__":
    main()
