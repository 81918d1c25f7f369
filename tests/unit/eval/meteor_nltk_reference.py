#!/usr/bin/python3
"""NLTK reference for the METEOR cross-check (meteor_nltk_test.cc), run with Debian's python3-nltk.

Usage: meteor_nltk_reference.py WORDNET_DIR CASES_JSON > ANSWERS_JSON

WORDNET_DIR holds the WordNet 3.0 database files plus the `lexnames` file NLTK's reader requires
(the test builds it from /usr/share/wordnet). CASES_JSON: {"pairs": [[reference_tokens,
hypothesis_tokens], ...], "stem_words": [...], "synonym_words": [...], "morphy_words": [...]}.
Prints {"meteor": [...], "meteor_no_synonyms": [...], "stems": [...], "synonyms": [[sorted names], ...],
"morphy": [[noun forms, verb forms, adj forms, adv forms], ...]} with NLTK's values: meteor_score
with its defaults (PorterStemmer(), alpha 0.9, beta 3, gamma 0.5) and again with a WordNet that has
no synsets (to count the pairs the synonym stage changes), PorterStemmer().stem, the
'_'-free lemma names of wordnet.synsets(word), and WordNetCorpusReader._morphy per part of speech.
"""
import json
import sys
import warnings

warnings.simplefilter("ignore")  # "multilingual functions are not available" (no OMW reader)

from nltk.corpus.reader.wordnet import WordNetCorpusReader  # noqa: E402
from nltk.stem.porter import PorterStemmer  # noqa: E402
from nltk.translate.meteor_score import meteor_score  # noqa: E402


class NoSynonyms:
    """A stand-in WordNet without synsets: METEOR with only the exact and stem stages."""

    def synsets(self, word):
        return []


def main():
    wordnet = WordNetCorpusReader(sys.argv[1], None)
    with open(sys.argv[2], encoding="utf-8") as f:
        cases = json.load(f)
    stemmer = PorterStemmer()
    answers = {
        "meteor": [meteor_score([ref], hyp, wordnet=wordnet) for ref, hyp in cases.get("pairs", [])],
        "meteor_no_synonyms": [
            meteor_score([ref], hyp, wordnet=NoSynonyms()) for ref, hyp in cases.get("pairs", [])
        ],
        "stems": [stemmer.stem(w) for w in cases.get("stem_words", [])],
        "synonyms": [
            sorted({l.name() for s in wordnet.synsets(w) for l in s.lemmas() if "_" not in l.name()})
            for w in cases.get("synonym_words", [])
        ],
        "morphy": [
            [wordnet._morphy(w, pos) for pos in ("n", "v", "a", "r")] for w in cases.get("morphy_words", [])
        ],
    }
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
