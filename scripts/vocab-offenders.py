#!/usr/bin/env python3
"""List the vocabulary terms most likely to fire on clean English text.

The engine matches vocabulary terms as whole words, case-insensitively, so the false-alarm risk
of a term is how often it occurs in ordinary English. This script scores every term of the given
vocabulary files by wordfreq's English frequency (a phrase is scored by wordfreq's estimate for
the whole phrase) and prints the most frequent ones: the candidates to prune or to move into a
context-requiring file. It is a review aid for scripts/gen-vocab.py; the engine-level measurement
on clean Twilio-style texts is tests/vocab_precision.rs.

    . /tmp/vocab-venv/bin/activate      # see detectors/vocab/README.md
    python scripts/vocab-offenders.py detectors/vocab/care-settings.txt --top 40
"""

from __future__ import annotations

import argparse
from pathlib import Path

from wordfreq import zipf_frequency


def terms(path: Path) -> list[str]:
    return [l.strip() for l in path.read_text(encoding="utf-8").splitlines()
            if l.strip() and not l.startswith("#")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--top", type=int, default=30, help="terms to list per file")
    ap.add_argument("--min-zipf", type=float, default=3.0, help="count terms at or above this zipf")
    args = ap.parse_args()
    for f in args.files:
        scored = sorted(((zipf_frequency(t, "en"), t) for t in terms(f)), reverse=True)
        n = sum(1 for z, _ in scored if z >= args.min_zipf)
        print(f"== {f}: {len(scored)} terms, {n} with zipf >= {args.min_zipf}")
        for z, t in scored[: args.top]:
            print(f"  {z:4.2f}  {t}")


if __name__ == "__main__":
    main()
