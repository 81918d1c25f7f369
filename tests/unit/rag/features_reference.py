#!/usr/bin/python3
"""Reference for the RAG ECG features (common/rag/ecg_features.h), written from the upstream
description in docs/rag.md with Debian's numpy, scipy and PyWavelets. Not upstream code.

usage: features_reference.py IN OUT LEADS SAMPLES FS [IN OUT LEADS SAMPLES FS ...]
  one job per group of five arguments (one interpreter start for several batches):
  IN:  float32 little-endian, count x LEADS x SAMPLES (lead-major per ECG)
  OUT: float64 little-endian, count x LEADS x 24
"""
import sys

import numpy as np
import pywt
from scipy import signal

WAVELET_SLOTS = 6  # approximation, then detail levels 5, 4, 3, 2, 1


def peak_block(x, fs):
    """Heart rate, HRV, QRS duration, T amplitude, ST deviation; zeros without two R peaks."""
    n = x.size
    top, bottom = x.max(), x.min()
    if top == bottom:
        return [0.0] * 5
    r_peaks, _ = signal.find_peaks(x, height=0.3 * (top - bottom) + bottom,
                                   distance=max(int(0.2 * fs), 1))
    if r_peaks.size < 2:
        return [0.0] * 5
    rr = np.diff(r_peaks) / fs
    heart_rate = 60.0 / rr.mean() if rr.mean() > 0 else 0.0
    hrv = rr.std() if rr.size > 1 else 0.0
    half = int(0.1 * fs)
    widths = []
    for p in r_peaks:
        window = x[max(0, p - half):min(n, p + half)]
        if window.size == 0 or window.max() == window.min():
            widths.append(0.0)
            continue
        limit = 0.1 * (window.max() - window.min()) + window.min()
        widths.append(np.sum(np.abs(window - window.mean()) > limit) / fs)
    qrs = np.mean(widths)
    a, b = r_peaks[-2], min(r_peaks[-1], n - 1)
    t_amp = (x[a:b].max() - x[a:b].min()) if a < b else 0.0
    st_index = min(r_peaks[-1] + int(0.08 * fs), n - 1)
    st = x[st_index] - x[r_peaks[-1]]
    return [heart_rate, hrv, qrs, t_amp, st]


def wavelet_block(x):
    level = min(5, pywt.dwt_max_level(x.size, pywt.Wavelet('db4').dec_len))
    bands = pywt.wavedec(x, 'db4', level=level)
    out = [0.0] * WAVELET_SLOTS
    out[0] = np.mean(np.abs(bands[0]))
    for position, band in enumerate(bands[1:]):
        detail_level = level - position  # bands[1] is the deepest detail
        out[1 + 5 - detail_level] = np.mean(np.abs(band))
    return out


def lead_features(x, fs):
    x = np.asarray(x, dtype=np.float64)
    stats = [np.mean(x), np.std(x), np.max(x), np.min(x), np.median(x),
             np.percentile(x, 25), np.percentile(x, 75)]
    freqs, psd = signal.welch(x, fs=fs, nperseg=min(1024, x.size))
    total = np.sum(psd)
    centroid = np.sum(freqs * psd) / total if total > 0 else 0.0
    spectral = [total, np.max(psd), freqs[np.argmax(psd)], centroid]
    steps = np.diff(x)
    tail = [np.mean(np.abs(steps)), np.sqrt(np.mean(np.square(steps)))]
    return stats + spectral + peak_block(x, fs) + wavelet_block(x) + tail


def main():
    args = sys.argv[1:]
    if not args or len(args) % 5:
        sys.exit(__doc__)
    for job in range(0, len(args), 5):
        src, dst = args[job], args[job + 1]
        leads, samples, fs = int(args[job + 2]), int(args[job + 3]), float(args[job + 4])
        ecgs = np.fromfile(src, dtype='<f4').reshape(-1, leads, samples)
        rows = [[v for lead in ecg for v in lead_features(lead, fs)] for ecg in ecgs]
        np.asarray(rows, dtype='<f8').reshape(-1).tofile(dst)


if __name__ == '__main__':
    main()
