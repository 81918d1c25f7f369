"""ROUGE-1/2/L as the Python package `rouge` 1.0.1 defines them (Rouge().get_scores with its
defaults: exclusive n-gram sets, summary-level ROUGE-L), written here from the package's published
behaviour for the cross-check test (tests/unit/eval) and bench/score; the package itself is not
on PyPI-free Debian. docs/evaluation-metrics.md states the semantics.

Policy of ECG-Bench's C++ scorer (and of score_pairs below): a pair whose hypothesis or reference
has no sentence (empty text or only dots) scores 0 instead of raising.
"""


def sentences(text):
    """Pieces of `text` between dots (empty pieces dropped), each as its list of words."""
    out = []
    for piece in text.split("."):
        if piece:
            # " ".join(piece.split()).split(" "): a blank piece is one empty word.
            out.append(piece.split() or [""])
    return out


def ngram_set(words, n):
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def prf(overlap, hyp_count, ref_count):
    p = overlap / hyp_count if hyp_count else 0.0
    r = overlap / ref_count if ref_count else 0.0
    return 2.0 * ((p * r) / (p + r + 1e-8)), p, r


def rouge_n(hyp_sents, ref_sents, n):
    hyp = ngram_set([w for s in hyp_sents for w in s], n)
    ref = ngram_set([w for s in ref_sents for w in s], n)
    return prf(len(hyp & ref), len(hyp), len(ref))


def lcs_words(x, y):
    """Words of x on the longest common subsequence of x and y that the package traces back: from
    the end of both, a match is taken, else the step goes to the strictly larger of the cells above
    (x shortened) and to the left (y shortened), ties to the left."""
    rows, cols = len(x), len(y)
    table = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(1, rows + 1):
        for j in range(1, cols + 1):
            if x[i - 1] == y[j - 1]:
                table[i][j] = table[i - 1][j - 1] + 1
            else:
                table[i][j] = max(table[i - 1][j], table[i][j - 1])
    words = set()
    i, j = rows, cols
    while i > 0 and j > 0:
        if x[i - 1] == y[j - 1]:
            words.add(x[i - 1])
            i -= 1
            j -= 1
        elif table[i - 1][j] > table[i][j - 1]:
            i -= 1
        else:
            j -= 1
    return words


def rouge_l(hyp_sents, ref_sents):
    union = set()
    for ref in ref_sents:
        for hyp in hyp_sents:
            union |= lcs_words(ref, hyp)
    ref_words = {w for s in ref_sents for w in s}
    hyp_words = {w for s in hyp_sents for w in s}
    return prf(len(union), len(hyp_words), len(ref_words))


def score_pair(hyp, ref):
    """(rouge-1, rouge-2, rouge-l) as (f, p, r) triples."""
    hyp_sents, ref_sents = sentences(hyp), sentences(ref)
    if not hyp_sents or not ref_sents:
        return (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), (0.0, 0.0, 0.0)
    return rouge_n(hyp_sents, ref_sents, 1), rouge_n(hyp_sents, ref_sents, 2), rouge_l(hyp_sents, ref_sents)


def average_f(hyps, refs):
    """get_scores(hyps, refs, avg=True) F values: running sums in order, divided by the count."""
    sums = [0, 0, 0]
    for hyp, ref in zip(hyps, refs):
        scores = score_pair(hyp, ref)
        for k in range(3):
            sums[k] = sums[k] + scores[k][0]
    return [s / len(hyps) for s in sums]
