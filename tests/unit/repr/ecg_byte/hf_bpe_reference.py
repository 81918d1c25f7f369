#!/usr/bin/env python3
"""Independent reader of a Hugging Face tokenizer.json with a BPE model (no pre-tokenizer): reads
the vocab and the merges ("left right"), then encodes each line of stdin the way HF's BPE model
does: start from single characters and repeatedly merge the adjacent pair with the lowest merge
rank (all its occurrences, left to right), then map each piece to its vocab id. Prints one JSON
array of ids per line. Used by tokenizer_file_test.cc to check ecgbench's export."""
import json
import sys


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        doc = json.load(f)
    model = doc["model"]
    assert model["type"] == "BPE", model["type"]
    vocab = model["vocab"]
    ranks = {}
    for rank, merge in enumerate(model["merges"]):
        left, right = merge.split(" ") if isinstance(merge, str) else merge
        assert left + right in vocab, merge
        ranks.setdefault((left, right), rank)
    for line in sys.stdin:
        pieces = list(line.rstrip("\n"))
        while len(pieces) > 1:
            best = min(((ranks.get((pieces[i], pieces[i + 1]), None), i) for i in range(len(pieces) - 1)
                        if (pieces[i], pieces[i + 1]) in ranks), default=None)
            if best is None:
                break
            pair = (pieces[best[1]], pieces[best[1] + 1])
            out, i = [], 0
            while i < len(pieces):
                if i + 1 < len(pieces) and (pieces[i], pieces[i + 1]) == pair:
                    out.append(pair[0] + pair[1])
                    i += 2
                else:
                    out.append(pieces[i])
                    i += 1
            pieces = out
        print(json.dumps([vocab[p] for p in pieces]))


if __name__ == "__main__":
    main()
