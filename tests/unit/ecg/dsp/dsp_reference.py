#!/usr/bin/python3
"""Reference outputs for the dsp unit tests, from scipy / numpy / PyWavelets as upstream used them.

Usage: dsp_reference.py OUT_DIR SECTION [ARGS]
  SECTION: design | filtfilt | wavelet | fourier | cubic | poly | chain | ecg208 NPY_PATH
Writes raw little-endian float64 files (*.f64) and OUT_DIR/SECTION.txt, one case per line
(space-separated fields; floats in repr form). Inputs are generated here from fixed seeds and
written too, so the C++ side reads exactly the same numbers.
Exit status 3 (with a message) when numpy/scipy/pywt are missing.
"""
import os
import sys
import warnings
from fractions import Fraction

try:
    import numpy as np
    import pywt
    from scipy import interpolate, signal
    from scipy.signal import _arraytools
except ImportError as e:  # the C++ test turns this into a failure naming install-deps.sh
    print(f"MISSING: {e}", file=sys.stderr)
    sys.exit(3)

OUT = sys.argv[1]
LINES = []


def put(name, arr):
    np.asarray(arr, dtype="<f8").ravel().tofile(os.path.join(OUT, name + ".f64"))


def line(*fields):
    LINES.append(" ".join(repr(f) if isinstance(f, float) else str(f) for f in fields))


def ecg_like(n, fs, seed):
    """A smooth ECG-like test signal with baseline wander, mains hum, noise and an offset (mV)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / fs
    beats = np.zeros(n)
    for c in np.arange(0.3, n / fs, 0.83):
        beats += 1.2 * np.exp(-0.5 * ((t - c) / 0.012) ** 2) - 0.2 * np.exp(-0.5 * ((t - c - 0.25) / 0.04) ** 2)
    wander = 0.3 * np.sin(2 * np.pi * 0.15 * t + 0.4) + 0.1 * np.cumsum(rng.standard_normal(n)) / np.sqrt(n)
    hum = 0.05 * np.sin(2 * np.pi * 50 * t) + 0.03 * np.sin(2 * np.pi * 60 * t + 1.0)
    return beats + wander + hum + 0.02 * rng.standard_normal(n) + 0.4


# ---------------------------------------------------------------------------------------------
def exact_zi(b, a):
    """lfilter_zi solved exactly (closed-form steady state in rational arithmetic), rounded once."""
    b = [Fraction(float(v)) for v in b]
    a = [Fraction(float(v)) for v in a]
    n = max(len(a), len(b))
    b += [Fraction(0)] * (n - len(b))
    a += [Fraction(0)] * (n - len(a))
    g = sum(b) / sum(a)
    return np.array([float(sum(b[j] - g * a[j] for j in range(i + 1, n))) for i in range(n - 1)])


def filtfilt_exact_zi(b, a, x):
    """scipy.signal.filtfilt(b, a, x) with lfilter_zi replaced by the exact steady state."""
    edge = 3 * max(len(a), len(b))
    ext = _arraytools.odd_ext(x, edge)
    zi = exact_zi(b, a)
    y, _ = signal.lfilter(b, a, ext, zi=zi * ext[0])
    y, _ = signal.lfilter(b, a, y[::-1], zi=zi * y[-1])
    return y[::-1][edge:-edge]


def paper_designs(fs, high_clamp=True):
    nyq = 0.5 * fs
    high = 100.0 / nyq
    if high >= 1.0 and high_clamp:
        high = 0.99  # documented deviation: scipy would raise
    notches = [signal.iirnotch(f0, 30.0, fs) for f0 in (50, 60)]
    band = signal.butter(4, [0.5 / nyq, high], btype="band")
    band_sos = signal.butter(4, [0.5 / nyq, high], btype="band", output="sos")
    high_ba = signal.butter(4, 0.05 / nyq, btype="high")
    high_sos = signal.butter(4, 0.05 / nyq, btype="high", output="sos")
    return notches, band, band_sos, high_ba, high_sos


def upstream_denoise(lead, wavelet="db6", level=4, epsilon=1e-10):
    """PreprocessBaseECG._wavelet_denoise for one lead (paper era), then nan_to_num."""
    coeffs = pywt.wavedec(lead, wavelet, level=level)
    median_abs = np.median(np.abs(coeffs[-level]))
    threshold = 0 if median_abs == 0 else median_abs / 0.6745

    def safe_threshold(c):
        thresholded = pywt.threshold(c, threshold, mode="soft")
        return np.where(np.isfinite(thresholded) & (np.abs(c) > epsilon), thresholded, 0)

    new_coeffs = [coeffs[0]] + [safe_threshold(c) for c in coeffs[1:]]
    rec = pywt.waverec(new_coeffs, wavelet)
    if len(rec) != len(lead):
        rec = signal.resample(rec, len(lead))
    return np.nan_to_num(rec, nan=0.0, posinf=0.0, neginf=0.0)


def upstream_chain(ecg, fs, form):
    """_advanced_ecg_filter + _wavelet_denoise on [samples x leads] float64; form 'ba' or 'sos'."""
    notches, band, band_sos, high_ba, high_sos = paper_designs(fs)
    out = ecg.copy()
    for i in range(out.shape[1]):
        lead = out[:, i]
        for b, a in notches:
            lead = signal.filtfilt(b, a, lead)
        if form == "ba":
            lead = signal.filtfilt(band[0], band[1], lead)
            lead = signal.filtfilt(high_ba[0], high_ba[1], lead)
        else:
            lead = signal.sosfiltfilt(band_sos, lead)
            lead = signal.sosfiltfilt(high_sos, lead)
        out[:, i] = upstream_denoise(lead)
    return out


# ---------------------------------------------------------------------------------------------
def section_design():
    for name, f0, q, fs in [("notch50_500", 50.0, 30.0, 500.0), ("notch60_500", 60.0, 30.0, 500.0),
                            ("notch50_400", 50.0, 30.0, 400.0), ("notch60_360", 60.0, 30.0, 360.0),
                            ("notch50_250", 50.0, 30.0, 250.0), ("notch60_1000", 60.0, 30.0, 1000.0),
                            ("notch10_q5", 10.0, 5.0, 100.0)]:
        b, a = signal.iirnotch(f0, q, fs)
        put(name + "_b", b)
        put(name + "_a", a)
        line("notch", name, f0, q, fs)
    cases = []
    for fs in (500.0, 400.0, 360.0, 250.0, 1000.0):
        nyq = 0.5 * fs
        cases.append((f"band_{int(fs)}", 4, "bandpass", [0.5 / nyq, 100.0 / nyq], None))
        cases.append((f"high_{int(fs)}", 4, "highpass", [0.05 / nyq], None))
    cases += [("band_200_clamped", 4, "bandpass", [0.5 / 100.0, 0.99], None),
              ("low3", 3, "lowpass", [0.3], None), ("high5", 5, "highpass", [0.2], None),
              ("band3", 3, "bandpass", [0.1, 0.4], None), ("band1", 1, "bandpass", [0.2, 0.6], None),
              ("low1", 1, "lowpass", [0.5], None), ("low2_fs250", 2, "lowpass", [40.0], 250.0),
              ("band6_fs500", 6, "bandpass", [1.0, 40.0], 500.0), ("high2_fs360", 2, "highpass", [0.5], 360.0)]
    for name, order, btype, wn, fs in cases:
        arg = wn[0] if len(wn) == 1 else wn
        b, a = signal.butter(order, arg, btype=btype, fs=fs)
        sos = signal.butter(order, arg, btype=btype, fs=fs, output="sos")
        put(name + "_b", b)
        put(name + "_a", a)
        put(name + "_sos", sos)
        line("butter", name, order, btype, "none" if fs is None else float(fs), *[float(w) for w in wn])


def section_filtfilt():
    x = ecg_like(5000, 500.0, 7)
    put("ff_input", x)
    for fs in (500.0, 400.0, 360.0):
        notches, band, band_sos, high_ba, high_sos = paper_designs(fs)
        filters = {"notch50": (notches[0], None), "notch60": (notches[1], None),
                   "band": (band, band_sos), "high": (high_ba, high_sos)}
        for kind, ((b, a), sos) in filters.items():
            name = f"{kind}_{int(fs)}"
            put(f"ff_{name}_b", b)
            put(f"ff_{name}_a", a)
            put(f"ff_{name}_zi", signal.lfilter_zi(b, a))
            put(f"ff_{name}_exactzi", exact_zi(b, a))
            put(f"ff_{name}_scipy", signal.filtfilt(b, a, x))
            put(f"ff_{name}_exact", filtfilt_exact_zi(b, a, x))
            has_sos = sos is not None
            if has_sos:
                put(f"ff_{name}_sos", sos)
                put(f"ff_{name}_sosout", signal.sosfiltfilt(sos, x))
                put(f"ff_{name}_soszi", signal.sosfilt_zi(sos))
            line("filtfilt", name, kind, float(fs), int(has_sos))


def section_wavelet():
    rng = np.random.default_rng(11)
    cases = {}
    for n in (5000, 4096, 5001, 1001, 100, 37, 7):
        cases[f"n{n}"] = ecg_like(n, 500.0, n)
    nan_case = ecg_like(5000, 500.0, 3)
    nan_case[2000:2010] = np.nan
    cases["nan5000"] = nan_case
    cases["const600"] = np.full(600, 0.7) + np.where(np.arange(600) == 300, 1e-12, 0.0)
    cases["noise800"] = rng.standard_normal(800)
    w = pywt.Wavelet("db6")
    put("wv_db6_rec_lo", w.rec_lo)
    put("wv_db6_dec_lo", w.dec_lo)
    put("wv_db6_rec_hi", w.rec_hi)
    put("wv_db6_dec_hi", w.dec_hi)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, x in cases.items():
            put(f"wv_{name}_in", x)
            coeffs = pywt.wavedec(x, "db6", level=4)
            put(f"wv_{name}_coeffs", np.concatenate(coeffs))
            put(f"wv_{name}_rec", pywt.waverec(coeffs, "db6"))
            put(f"wv_{name}_den", upstream_denoise(x))
            line("wavelet", name, len(x), *[len(c) for c in coeffs])


def section_fourier():
    rng = np.random.default_rng(5)
    for nx, num in ((5001, 5000), (1001, 1000), (64, 50), (50, 64), (7, 9), (9, 7), (10, 10), (4097, 4096)):
        name = f"{nx}_{num}"
        x = rng.standard_normal(nx)
        put(f"fr_{name}_in", x)
        put(f"fr_{name}_out", signal.resample(x, num))
        line("fourier", name, nx, num)


def section_cubic():
    for name, n, fs, target in (("500_250", 5000, 500.0, 250.0), ("400_250", 4096, 400.0, 250.0),
                                ("360_250", 3600, 360.0, 250.0), ("360_250_odd", 3601, 360.0, 250.0),
                                ("250_500", 1000, 250.0, 500.0), ("n4", 4, 4.0, 3.0), ("n5", 5, 5.0, 7.0)):
        x = ecg_like(n, fs, n)
        duration = n / fs
        t = np.linspace(0, duration, n, endpoint=True)
        tn = np.linspace(0, duration, int(n * target / fs), endpoint=True)
        f = interpolate.interp1d(t, x, kind="cubic", bounds_error=False, fill_value="extrapolate")
        put(f"cu_{name}_in", x)
        put(f"cu_{name}_out", f(tn))
        line("cubic", name, n, fs, target)
    rng = np.random.default_rng(9)
    xs = np.cumsum(rng.uniform(0.5, 1.5, 40))
    ys = np.sin(xs / 3) + 0.1 * rng.standard_normal(40)
    xn = np.concatenate([np.linspace(xs[0] - 2, xs[-1] + 2, 300), rng.uniform(xs[0], xs[-1], 50)])
    f = interpolate.interp1d(xs, ys, kind="cubic", bounds_error=False, fill_value="extrapolate")
    put("sp_x", xs)
    put("sp_y", ys)
    put("sp_xnew", xn)
    put("sp_out", f(xn))
    line("spline", "nonuniform", len(xs), len(xn))


def section_poly():
    for name, n, up, down in (("500_250", 5000, 1, 2), ("400_250", 4096, 5, 8), ("360_250", 3600, 25, 36),
                              ("360_250_odd", 3601, 25, 36), ("250_500", 1250, 2, 1), ("3_7", 100, 3, 7),
                              ("6_4", 99, 6, 4)):
        x = ecg_like(n, 500.0, n + 1)
        put(f"po_{name}_in", x)
        put(f"po_{name}_out", signal.resample_poly(x, up, down))
        g = np.gcd(up, down)
        u, d = up // g, down // g
        max_rate = max(u, d)
        put(f"po_{name}_h", signal.firwin(2 * 10 * max_rate + 1, 1.0 / max_rate, window=("kaiser", 5.0)) * u)
        line("poly", name, n, up, down)


def section_chain():
    for name, fs, n in (("ptbxl500", 500.0, 5000), ("code15_400", 400.0, 4096), ("odd500", 500.0, 2501),
                        ("clamped200", 200.0, 2000)):
        ecg = np.stack([ecg_like(n, fs, 100 + lead) * (1 + 0.1 * lead) for lead in range(12)], axis=1)
        # The C++ record holds float32: feed both sides the same float32-representable values.
        ecg = ecg.astype(np.float32).astype(np.float64)
        put(f"ch_{name}_in", ecg.T)
        put(f"ch_{name}_ba", upstream_chain(ecg, fs, "ba").T)
        put(f"ch_{name}_sos", upstream_chain(ecg, fs, "sos").T)
        line("chain", name, fs, n, 12)


def section_ecg208(npy_path):
    raw = np.load(npy_path)
    mv = (raw.astype(int) - 1024) / 200.0
    n, fs, target = len(mv), 360.0, 250.0
    duration = n / fs
    t = np.linspace(0, duration, n, endpoint=True)
    tn = np.linspace(0, duration, int(n * target / fs), endpoint=True)
    f = interpolate.interp1d(t, mv, kind="cubic", bounds_error=False, fill_value="extrapolate")
    put("ecg208_250", f(tn))
    line("ecg208", n, len(tn))


SECTIONS = {"design": section_design, "filtfilt": section_filtfilt, "wavelet": section_wavelet,
            "fourier": section_fourier, "cubic": section_cubic, "poly": section_poly, "chain": section_chain}

if __name__ == "__main__":
    section = sys.argv[2]
    if section == "ecg208":
        section_ecg208(sys.argv[3])
    else:
        SECTIONS[section]()
    with open(os.path.join(OUT, section + ".txt"), "w") as fh:
        fh.write("\n".join(LINES) + "\n")
