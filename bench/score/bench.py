#!/usr/bin/python3
"""bench/score: `ecgbench score` (C++) against the Python metrics upstream ECG-Bench uses, on the
same generated predictions file: NLTK 3.8 corpus_bleu and upstream's effective-order sentence BLEU
(SmoothingFunction().method1), ROUGE-1/2/L with the `rouge` 1.0.1 semantics
(tests/unit/eval/rouge_reference.py) and NLTK meteor_score over Debian's WordNet 3.0.

Usage: bench.py ECGBENCH_BINARY [--pairs N] [--seed S] [--repeats R] [--workdir DIR]

The C++ side is timed end to end (process start, reading the JSONL, loading WordNet, scoring),
best of R runs, once with the default threads (one per core) and once with --threads 1. The Python
side is timed around the metric calls only (WordNet loaded and warmed up before). The values of
both sides are compared (BLEU within 1e-9, ROUGE within 1e-12, METEOR within 1e-3). The last line
is `RESULT name=value ...`.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import warnings

warnings.simplefilter("ignore")

import numpy as np  # noqa: E402
from nltk.corpus.reader.wordnet import WordNetCorpusReader  # noqa: E402
from nltk.translate.bleu_score import SmoothingFunction, corpus_bleu, sentence_bleu  # noqa: E402
from nltk.translate.meteor_score import meteor_score  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "unit", "eval"))
import rouge_reference  # noqa: E402

WORDNET_DIR = "/usr/share/wordnet"
# WordNet 3.0's lexicographer files in file-number order (lexnames(5WN)); NLTK's reader needs them.
LEXNAMES = ("adj.all 3,adj.pert 3,adv.all 4,noun.Tops 1,noun.act 1,noun.animal 1,noun.artifact 1,"
            "noun.attribute 1,noun.body 1,noun.cognition 1,noun.communication 1,noun.event 1,noun.feeling 1,"
            "noun.food 1,noun.group 1,noun.location 1,noun.motive 1,noun.object 1,noun.person 1,"
            "noun.phenomenon 1,noun.plant 1,noun.possession 1,noun.process 1,noun.quantity 1,noun.relation 1,"
            "noun.shape 1,noun.state 1,noun.substance 1,noun.time 1,verb.body 2,verb.change 2,verb.cognition 2,"
            "verb.communication 2,verb.competition 2,verb.consumption 2,verb.contact 2,verb.creation 2,"
            "verb.emotion 2,verb.motion 2,verb.perception 2,verb.possession 2,verb.social 2,verb.stative 2,"
            "verb.weather 2,adj.ppl 3").split(",")

WORDS = ("sinus rhythm normal ecg the of and with left right axis deviation atrial fibrillation st elevation "
         "t wave inversion qrs complex wide narrow bundle branch block lead ii v1 v5 yes no possible "
         "abnormal borderline rate 75 bpm infarct septal anterior inferior lateral hypertrophy ventricular "
         "premature beats tachycardia bradycardia is seen in leads not shows showing changes changed "
         "depression depressed prolonged interval intervals pr qt low voltage high heart rates").split()


def generate(n, seed):
    """Report-like (reference, prediction) pairs: predictions copy, perturb, inflect or replace."""
    rng = random.Random(seed)
    pairs = []
    for i in range(n):
        ref = [rng.choice(WORDS) for _ in range(rng.randint(3, 40))]
        kind = i % 5
        if kind == 0:
            hyp = list(ref)
        elif kind == 1:
            hyp = [w if rng.random() < 0.7 else rng.choice(WORDS) for w in ref]
        elif kind == 2:
            hyp = ref[: max(1, len(ref) // 2)] + [rng.choice(WORDS) for _ in range(rng.randint(0, 8))]
        elif kind == 3:
            hyp = [rng.choice(WORDS) for _ in range(rng.randint(1, 40))]
        else:
            hyp = list(ref)
            rng.shuffle(hyp)
        ref_text = " ".join(ref)
        hyp_text = " ".join(hyp)
        if rng.random() < 0.3:  # some multi-sentence texts for ROUGE-L
            cut = len(ref_text) // 2
            cut = ref_text.find(" ", cut)
            if cut > 0:
                ref_text = ref_text[:cut] + "." + ref_text[cut:] + "."
        if rng.random() < 0.2 and i % 2 == 0:
            hyp_text = hyp_text.capitalize()
        pairs.append((ref_text, hyp_text))
    return pairs


def nltk_wordnet(workdir):
    corpus = os.path.join(workdir, "nltk_wordnet")
    os.makedirs(corpus, exist_ok=True)
    for name in os.listdir(WORDNET_DIR):
        link = os.path.join(corpus, name)
        if not os.path.lexists(link):
            os.symlink(os.path.join(WORDNET_DIR, name), link)
    with open(os.path.join(corpus, "lexnames"), "w") as f:
        for i, entry in enumerate(LEXNAMES):
            name, pos = entry.split()
            f.write(f"{i:02d}\t{name}\t{pos}\n")
    return WordNetCorpusReader(corpus, None)


def python_side(pairs, wordnet):
    refs = [r for r, _ in pairs]
    hyps = [h for _, h in pairs]
    m1 = SmoothingFunction().method1
    times, values = {}, {}

    t = time.perf_counter()
    values["bleu"] = corpus_bleu([[r.split()] for r in refs], [h.split() for h in hyps], smoothing_function=m1)

    def sent(r, h):
        rt, ht = r.split(), h.split()
        n = min(4, len(rt), len(ht))
        return 0.0 if n == 0 else sentence_bleu([rt], ht, weights=tuple([1.0 / n] * n), smoothing_function=m1)

    values["bleu_sent"] = float(np.mean([sent(r, h) for r, h in zip(refs, hyps)]))
    times["bleu"] = time.perf_counter() - t

    t = time.perf_counter()
    values["rouge1"], values["rouge2"], values["rougeL"] = rouge_reference.average_f(hyps, refs)
    times["rouge"] = time.perf_counter() - t

    meteor_score([["warm", "up"]], ["warming", "ups"], wordnet=wordnet)
    t = time.perf_counter()
    values["meteor"] = float(np.mean([meteor_score([r.split()], h.split(), wordnet=wordnet) for r, h in zip(refs, hyps)]))
    times["meteor"] = time.perf_counter() - t
    return times, values


def cpp_side(binary, pred_path, metrics, threads, repeats):
    best, values = None, None
    for _ in range(repeats):
        cmd = [binary, "score", "--pred", pred_path, "--metrics", metrics, "--json"]
        if threads:
            cmd += ["--threads", str(threads)]
        t = time.perf_counter()
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        elapsed = time.perf_counter() - t
        best = elapsed if best is None else min(best, elapsed)
        values = json.loads(out)
    return best, values


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--pairs", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    workdir = args.workdir or tempfile.mkdtemp(prefix="bench_score_")
    os.makedirs(workdir, exist_ok=True)

    pairs = generate(args.pairs, args.seed)
    pred_path = os.path.join(workdir, "predictions.jsonl")
    with open(pred_path, "w", encoding="utf-8") as f:
        for i, (r, h) in enumerate(pairs):
            f.write(json.dumps({"id": str(i), "question_type": "", "reference": r, "prediction": h}) + "\n")
    print(f"pairs {len(pairs)}, file {pred_path}")

    cpp = {}
    for metrics in ("bleu", "rouge", "meteor", "bleu,rouge,meteor"):
        for threads in (0, 1):
            cpp[(metrics, threads)] = cpp_side(args.binary, pred_path, metrics, threads, args.repeats)
            print(f"C++ {metrics:18s} threads={threads or 'all'}: {cpp[(metrics, threads)][0]:.3f} s")

    wordnet = nltk_wordnet(workdir)
    py_times, py_values = python_side(pairs, wordnet)
    py_total = sum(py_times.values())
    for k, v in py_times.items():
        print(f"Python {k:8s}: {v:.3f} s")
    print(f"Python total   : {py_total:.3f} s")

    cpp_values = cpp[("bleu,rouge,meteor", 0)][1]
    tolerance = {"bleu": 1e-9, "bleu_sent": 1e-9, "rouge1": 1e-12, "rouge2": 1e-12, "rougeL": 1e-12, "meteor": 1e-3}
    worst = {}
    agree = True
    for name, tol in tolerance.items():
        diff = abs(cpp_values[name] - py_values[name])
        worst[name] = diff
        agree = agree and diff <= tol
        print(f"{name:9s} C++ {cpp_values[name]:.12f}  Python {py_values[name]:.12f}  |diff| {diff:.3g}")
    cpp_total = cpp[("bleu,rouge,meteor", 0)][0]
    cpp_total_1 = cpp[("bleu,rouge,meteor", 1)][0]
    fields = {
        "pairs": len(pairs),
        "cpp_s": f"{cpp_total:.3f}",
        "cpp_1thread_s": f"{cpp_total_1:.3f}",
        "python_s": f"{py_total:.3f}",
        "ratio": f"{py_total / cpp_total:.1f}",
        "ratio_1thread": f"{py_total / cpp_total_1:.1f}",
        "ratio_bleu": f"{py_times['bleu'] / cpp[('bleu', 0)][0]:.1f}",
        "ratio_rouge": f"{py_times['rouge'] / cpp[('rouge', 0)][0]:.1f}",
        "ratio_meteor": f"{py_times['meteor'] / cpp[('meteor', 0)][0]:.1f}",
        "max_bleu_diff": f"{max(worst['bleu'], worst['bleu_sent']):.3g}",
        "max_rouge_diff": f"{max(worst['rouge1'], worst['rouge2'], worst['rougeL']):.3g}",
        "meteor_diff": f"{worst['meteor']:.3g}",
        "values_agree": int(agree),
        "target_20x_met": int(py_total / cpp_total >= 20),
    }
    print("RESULT " + " ".join(f"{k}={v}" for k, v in fields.items()))


if __name__ == "__main__":
    main()
