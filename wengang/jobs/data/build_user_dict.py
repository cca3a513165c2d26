"""Regenerate ``jieba_user_dict.txt`` from ``occupations.csv`` (standard library only).

Every occupation name and synonym becomes one ``word freq tag`` line so that jieba keeps it in one
piece.  Run from anywhere: ``python wengang/jobs/data/build_user_dict.py``.
"""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
CSV_PATH = HERE / "occupations.csv"
DICT_PATH = HERE / "jieba_user_dict.txt"
NAME_FREQ = 2000
SYNONYM_FREQ = 1000


def _normalise(word: str) -> str:
    return unicodedata.normalize("NFKC", word).strip().upper()


def build_words(csv_path: Path = CSV_PATH) -> dict[str, int]:
    """Map each name and synonym (normalised as the matcher does) to a jieba frequency."""
    words: dict[str, int] = {}
    with csv_path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            name = _normalise(row["name"])
            words[name] = max(words.get(name, 0), NAME_FREQ)
            for synonym in filter(None, (row["synonyms"] or "").split("|")):
                word = _normalise(synonym)
                if word and " " not in word:
                    words.setdefault(word, SYNONYM_FREQ)
    return words


def main() -> None:
    words = build_words()
    lines = [f"{word} {freq} n" for word, freq in sorted(words.items())]
    DICT_PATH.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} words to {DICT_PATH.name}")


if __name__ == "__main__":
    main()
