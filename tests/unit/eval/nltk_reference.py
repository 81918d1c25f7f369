"""Reference values for the BLEU/ROUGE cross-check test (nltk_crosscheck_test.cc): reads JSON lines
{"reference": str, "prediction": str} from argv[1] and writes to argv[2] one JSON object with
NLTK 3.8's corpus_bleu and sentence_bleu (SmoothingFunction().method1, whitespace tokens, as
upstream ECG-Bench calls them), upstream's effective-order sentence BLEU, and the `rouge` 1.0.1
scores of rouge_reference.py. Floats are written with repr() precision (17 significant digits).
"""
import json
import os
import sys

from nltk.translate.bleu_score import SmoothingFunction, corpus_bleu, sentence_bleu

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rouge_reference  # noqa: E402


def effective_sentence_bleu(ref, hyp, smoothing):
    r, h = ref.split(), hyp.split()
    n = min(4, len(r), len(h))
    if n == 0:
        return 0.0
    return sentence_bleu([r], h, weights=tuple([1.0 / n] * n), smoothing_function=smoothing)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        pairs = [json.loads(line) for line in f if line.strip()]
    refs = [p["reference"].strip() for p in pairs]
    hyps = [p["prediction"].strip() for p in pairs]
    m1 = SmoothingFunction().method1
    out = {
        "corpus_bleu": float(corpus_bleu([[r.split()] for r in refs], [h.split() for h in hyps], smoothing_function=m1)),
        "sentence_bleu": [float(sentence_bleu([r.split()], h.split(), smoothing_function=m1)) for r, h in zip(refs, hyps)],
        "effective_bleu": [effective_sentence_bleu(r, h, m1) for r, h in zip(refs, hyps)],
        "rouge": [[list(t) for t in rouge_reference.score_pair(h, r)] if h else [[0.0] * 3] * 3
                  for r, h in zip(refs, hyps)],
        "rouge_avg": rouge_reference.average_f([h for h in hyps], refs),
    }
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
