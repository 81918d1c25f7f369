#!/usr/bin/python3
"""Reference values for stats_scipy_test.cc: reads a JSON file of cases, prints JSON answers.

Input: {"wilcoxon": [[x...], [y...]] pairs, "t_ppf": [[p, df], ...], "t_cdf": [[t, df], ...],
        "fold": [[values...], ...]}
Output: the same keys; wilcoxon entries are [statistic, pvalue] or null when scipy raises;
"t_ppf" holds [scipy.stats.t.ppf, the quantile to 40 digits by mpmath]; "fold" entries hold
[mean, std, ci_low, ci_high] with the interval from the mpmath quantile. scipy's t.ppf (cdflib's
root finder, relative tolerance 1e-8) is itself off by up to ~7e-9 (e.g. p 0.975, df 40), so the
exact quantile comes from mpmath.
Needs Debian's python3-scipy, python3-numpy and python3-mpmath (run with /usr/bin/python3).
"""
import json
import sys
import warnings

import mpmath
import numpy as np
from scipy import stats

mpmath.mp.dps = 40


def exact_t_ppf(p, df):
    """Solves P(T <= t) = p with the regularized incomplete beta at 40 digits."""
    p = mpmath.mpf(p)
    df = mpmath.mpf(df)

    def upper_tail(t):
        x = df / (df + t * t)
        return mpmath.betainc(df / 2, mpmath.mpf(1) / 2, 0, x, regularized=True) / 2

    if p == mpmath.mpf(1) / 2:
        return mpmath.mpf(0)
    sign = 1 if p > mpmath.mpf(1) / 2 else -1
    q = 1 - p if sign > 0 else p
    start = mpmath.mpf(abs(float(stats.t.ppf(float(p), float(df)))))
    t = mpmath.findroot(lambda t: upper_tail(t) - q, start, tol=mpmath.mpf(10) ** -35)
    return sign * t


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    out = {"wilcoxon": [], "t_ppf": [], "t_cdf": [], "fold": []}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for x, y in cases["wilcoxon"]:
            try:
                r = stats.wilcoxon(np.array(x), np.array(y))
                out["wilcoxon"].append([float(r.statistic), float(r.pvalue)])
            except ValueError:
                out["wilcoxon"].append(None)
    out["t_ppf"] = [[float(stats.t.ppf(p, df)), float(exact_t_ppf(p, df))] for p, df in cases["t_ppf"]]
    out["t_cdf"] = [float(stats.t.cdf(t, df)) for t, df in cases["t_cdf"]]
    for values in cases["fold"]:
        # upstream's run_statistical_analysis: values x100, mean, std ddof=1, t-interval
        v = np.array(values) * 100
        mean = float(np.mean(v))
        std = float(np.std(v, ddof=1))
        half = float(exact_t_ppf(0.975, len(v) - 1)) * std / np.sqrt(len(v))
        out["fold"].append([mean, std, mean - half, mean + half])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
