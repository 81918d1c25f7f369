#!/usr/bin/python3
"""Raw-I/O floor for bench/preprocess: read every record's input bytes (.hea + .dat) and write as
many output bytes as the pipeline writes (12 x 2500 float32 per 10 s record), nothing else."""
import argparse
import csv
import os
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    with open(os.path.join(args.root, "ptbxl_database.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    os.makedirs(args.out, exist_ok=True)
    t0 = time.perf_counter()
    c0 = time.process_time()
    out_bytes = 12 * 2500 * 4
    with open(os.path.join(args.out, "floor.bin"), "wb") as out:
        for row in rows:
            base = os.path.join(args.root, row["filename_hr"])
            with open(base + ".hea", "rb") as f:
                f.read()
            with open(base + ".dat", "rb") as f:
                data = f.read()
            out.write((data * 2)[:out_bytes] if len(data) * 2 >= out_bytes else data.ljust(out_bytes, b"\0"))
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print(f"io_floor records={len(rows)} seconds={dt:.3f} records_per_s={len(rows) / dt:.2f} "
          f"cpu_seconds={cpu:.3f} records_per_cpu_s={len(rows) / cpu:.2f}")


if __name__ == "__main__":
    main()
