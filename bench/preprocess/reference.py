#!/usr/bin/python3
"""Python reference for bench/preprocess: the upstream ECG-Bench preprocessing of PTB-XL-layout
records with numpy + scipy (+ PyWavelets for the paper-era denoiser), one process, one core.

read .hea/.dat (format 16) -> mV -> [paper filters: notch 50/60 Q=30, butter(4) 0.5-100 band-pass,
butter(4) 0.05 high-pass, all filtfilt; db6 level-4 soft-threshold denoise] -> interp1d cubic to
250 Hz on the upstream grids -> non-overlapping windows -> one .npy per segment (np.save of a dict,
as upstream writes them)."""
import argparse
import csv
import os
import sys
import time

import numpy as np
import pywt
from scipy import signal
from scipy.interpolate import interp1d


def read_wfdb16(base):
    with open(base + ".hea") as f:
        lines = [l for l in f.read().splitlines() if l and not l.startswith("#")]
    rec = lines[0].split()
    nsig, fs, n = int(rec[1]), float(rec[2].split("/")[0]), int(rec[3])
    gains, baselines = [], []
    for line in lines[1:1 + nsig]:
        g = line.split()[2]
        gain = g.split("/")[0]
        if "(" in gain:
            gain, b = gain.split("(")
            baselines.append(int(b.rstrip(")")))
        else:
            baselines.append(int(line.split()[4]) if len(line.split()) > 4 else 0)
        gains.append(float(gain))
    raw = np.fromfile(base + ".dat", dtype="<i2").reshape(n, nsig)
    return (raw - np.array(baselines)) / np.array(gains), fs


def wavelet_denoise(x):
    coeffs = pywt.wavedec(x, "db6", level=4)
    thr = np.median(np.abs(coeffs[-4])) / 0.6745
    out = [coeffs[0]] + [pywt.threshold(c, thr, mode="soft") for c in coeffs[1:]]
    y = pywt.waverec(out, "db6")
    if len(y) != len(x):
        y = signal.resample(y, len(x))
    return np.nan_to_num(y)


def paper_filters(ecg, fs):
    nyq = fs / 2
    out = np.empty_like(ecg)
    b50, a50 = signal.iirnotch(50, 30, fs)
    b60, a60 = signal.iirnotch(60, 30, fs)
    bb, ab = signal.butter(4, [0.5 / nyq, min(100, 0.99 * nyq) / nyq], btype="band")
    bh, ah = signal.butter(4, 0.05 / nyq, btype="high")
    for l in range(ecg.shape[1]):
        x = signal.filtfilt(b50, a50, ecg[:, l])
        x = signal.filtfilt(b60, a60, x)
        x = signal.filtfilt(bb, ab, x)
        x = signal.filtfilt(bh, ah, x)
        out[:, l] = wavelet_denoise(x)
    return out


def resample(ecg, fs, target):
    n = ecg.shape[0]
    dur = n / fs
    new_n = int(n * target / fs)
    x, xn = np.linspace(0, dur, n), np.linspace(0, dur, new_n)
    return np.stack([interp1d(x, ecg[:, l], kind="cubic", fill_value="extrapolate")(xn)
                     for l in range(ecg.shape[1])], axis=1).astype(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--segment-len", type=int, default=1250)
    ap.add_argument("--filters", choices=["none", "paper"], default="none")
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.root, "ptbxl_database.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    if args.limit:
        rows = rows[:args.limit]
    t0 = time.perf_counter()
    c0 = time.process_time()
    segments = 0
    for row in rows:
        ecg, fs = read_wfdb16(os.path.join(args.root, row["filename_hr"]))
        if args.filters == "paper":
            ecg = paper_filters(ecg, fs)
        ecg = resample(ecg, fs, 250)
        L = args.segment_len
        for j in range(ecg.shape[0] // L):
            seg = {"ecg": ecg[j * L:(j + 1) * L].T.copy(), "report": row["report"], "path": row["filename_hr"],
                   "orig_sf": fs, "target_sf": 250, "segment_len": L}
            np.save(os.path.join(args.out, row["filename_hr"].replace("/", "_") + f"_{j}.npy"), seg)
            segments += 1
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print(f"python records={len(rows)} segments={segments} seconds={dt:.3f} records_per_s={len(rows) / dt:.2f} "
          f"cpu_seconds={cpu:.3f} records_per_cpu_s={len(rows) / cpu:.2f}")


if __name__ == "__main__":
    sys.exit(main())
