"""The shipped occupation taxonomy (职业分类大典 2022 subset) and free-text matching against it.

Pure Python on purpose (no Django): ``occupations.py`` syncs these rows into the database and
asks :class:`OccupationMatcher` which occupations a posting such as “招聘电焊工两名，要求持证” names.
"""

from __future__ import annotations

import csv
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from rapidfuzz import fuzz, process

if TYPE_CHECKING:
    import jieba

DATA_DIR = Path(__file__).resolve().parent / "data"
CSV_PATH = DATA_DIR / "occupations.csv"
USER_DICT_PATH = DATA_DIR / "jieba_user_dict.txt"
CODE_RE = re.compile(r"^\d-\d{2}-\d{2}-\d{2}$")
FIELDS = ("code", "name", "major_code", "major_name", "middle_code", "middle_name", "general_labour")

NAME_SCORE, SYNONYM_SCORE, FUZZY_CAP, FUZZY_CUTOFF = 100.0, 95.0, 90.0, 70.0

# Posting noise: counts, pay and the usual recruiting phrases.  Replaced by a space so that the
# words around them never fuse into a different occupation word.
_COUNT_RE = re.compile(r"(?<![A-Z])\d+\s*(?:名|人|位|个)|[一二两三四五六七八九十几数多]{1,3}(?:名|位)")
_PAY_RE = re.compile(
    r"(?:月薪|底薪|年薪|日薪|时薪|薪资|薪水|综合工资|工资|待遇|月入|收入)?[:：]?\s*"
    r"(?<![A-Z])\d+(?:\.\d+)?\s*(?:[-~～至到]\s*\d+(?:\.\d+)?)?\s*(?:[KW万千]|元|块)?"
    r"(?:\s*/?\s*每?(?:月|天|日|小时|时|年|方|吨|件|平方|平))?"
)
_NOISE_WORDS = (
    "高薪诚聘 高薪招聘 急招 诚聘 急聘 直招 招聘 招工 招募 急需 需要 "
    "若干 多名 数名 要求持证 持证上岗 要求 持证 包吃包住 包吃住 管吃住 "
    "提供食宿 包住 包吃 五险一金 缴纳社保 社保 长期 短期 长白班 夜班 "
    "白班 两班倒 三班倒 倒班 日结 周结 月结 男女不限 限男性 限女性 年龄 "
    "周岁 岁以下 岁以上 以下 以上 经验不限 有经验者优先 有经验 优先 经验 "
    "月薪 底薪 工资 薪资 待遇优厚 待遇 面议 左右 稳定 加班 公益性岗位 "
    "公益岗 岗位 上班 按方计件 计件 计时"
).split()
_NOISE_RE = re.compile("|".join(sorted(map(re.escape, _NOISE_WORDS), key=len, reverse=True)))
_SEGMENT_RE = re.compile(r"[0-9A-Z\u3400-\u9fff]+")

Via = Literal["name", "synonym", "fuzzy"]


@dataclass(frozen=True)
class OccupationRow:
    code: str
    name: str
    major_code: str
    major_name: str
    middle_code: str
    middle_name: str
    general_labour: bool
    related: tuple[str, ...]
    synonyms: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    code: str
    name: str
    score: float
    matched: str
    via: Via


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split("|") if part.strip())


def load_rows(path: Path | None = None) -> list[OccupationRow]:
    """Read and validate the occupation CSV; raise ``ValueError`` naming the offending line."""
    path = path or CSV_PATH
    rows: list[tuple[int, OccupationRow]] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [f for f in (*FIELDS, "related", "synonyms") if f not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path.name}: header lacks {', '.join(missing)}")
        for raw in reader:
            line = reader.line_num
            code, name = (raw["code"] or "").strip(), (raw["name"] or "").strip()
            if not CODE_RE.match(code):
                raise ValueError(f"{path.name} line {line}: bad occupation code {code!r}")
            if code in seen:
                raise ValueError(f"{path.name} line {line}: code {code} already on line {seen[code]}")
            if not name:
                raise ValueError(f"{path.name} line {line}: empty name")
            if raw["major_code"] != code[0] or raw["middle_code"] != code[:4]:
                raise ValueError(f"{path.name} line {line}: major/middle code disagree with {code}")
            if raw["general_labour"] not in ("0", "1"):
                raise ValueError(f"{path.name} line {line}: general_labour must be 0 or 1")
            seen[code] = line
            row = OccupationRow(
                code=code,
                name=name,
                major_code=raw["major_code"],
                major_name=raw["major_name"].strip(),
                middle_code=raw["middle_code"],
                middle_name=raw["middle_name"].strip(),
                general_labour=raw["general_labour"] == "1",
                related=_split(raw["related"]),
                synonyms=_split(raw["synonyms"]),
            )
            rows.append((line, row))
    for line, row in rows:
        unknown = [c for c in row.related if c not in seen]
        if unknown or row.code in row.related:
            bad = ", ".join(unknown) or row.code
            raise ValueError(f"{path.name} line {line}: related code(s) {bad} not usable")
    return [row for _, row in rows]


def normalise(text: str) -> str:
    """Full-width to half-width, upper-case Latin letters, collapse whitespace."""
    return " ".join(unicodedata.normalize("NFKC", text).upper().split())


def clean(text: str) -> str:
    """Normalised text with counts, pay, stray digits and recruiting phrases blanked out."""
    text = normalise(text)
    for pattern in (_COUNT_RE, _PAY_RE, _NOISE_RE):
        text = pattern.sub(" ", text)
    text = re.sub(r"(?<![A-Z])\d+", " ", text)
    return " ".join(text.split())


class OccupationMatcher:
    """Exact name/synonym lookup first, then fuzzy matching of whatever text is left."""

    _default: OccupationMatcher | None = None
    _default_lock = threading.Lock()

    def __init__(self, rows: Iterable[OccupationRow], user_dict: Path | None = USER_DICT_PATH) -> None:
        self.rows = {row.code: row for row in rows}
        self._user_dict = user_dict
        self._tokenizer: jieba.Tokenizer | None = None
        self._tokenizer_lock = threading.Lock()
        # word -> (code, via); names win over synonyms when a word is both.
        self._words: dict[str, tuple[str, Via]] = {}
        for row in self.rows.values():
            for word in row.synonyms:
                self._words.setdefault(normalise(word).replace(" ", ""), (row.code, "synonym"))
        for row in self.rows.values():
            self._words[normalise(row.name).replace(" ", "")] = (row.code, "name")
        self._by_length = sorted(self._words, key=len, reverse=True)
        self._choices = [w for w in self._by_length if len(w) >= 3]

    @classmethod
    def default(cls) -> OccupationMatcher:
        """The matcher over the shipped CSV, built once per process."""
        if cls._default is None:
            with cls._default_lock:
                if cls._default is None:
                    cls._default = cls(load_rows())
        return cls._default

    def tokenizer(self) -> jieba.Tokenizer:
        """A private jieba tokenizer with the occupation words, loaded on first use."""
        if self._tokenizer is None:
            with self._tokenizer_lock:
                if self._tokenizer is None:
                    import jieba

                    jieba.setLogLevel(logging.WARNING)
                    tokenizer = jieba.Tokenizer()
                    if self._user_dict is not None and self._user_dict.exists():
                        tokenizer.load_userdict(str(self._user_dict))
                    self._tokenizer = tokenizer
        return self._tokenizer

    def match(self, text: str, limit: int = 3) -> list[Match]:
        """Occupations named by ``text``, distinct codes, best first, at most ``limit``."""
        cleaned = clean(text)
        if not cleaned or limit <= 0:
            return []
        found: dict[str, Match] = {}
        order: dict[str, tuple[float, int, int]] = {}
        taken = [False] * len(cleaned)
        for word in self._by_length:  # longest first, so the longest word claims its span
            start = cleaned.find(word)
            while start != -1:
                end = start + len(word)
                if not any(taken[start:end]):
                    taken[start:end] = [True] * len(word)
                    code, via = self._words[word]
                    score = NAME_SCORE if via == "name" else SYNONYM_SCORE
                    key = (-score, -len(word), start)
                    if code not in order or key < order[code]:
                        order[code] = key
                        found[code] = Match(code, self.rows[code].name, score, word, via)
                start = cleaned.find(word, start + 1)
        ranked = [found[c] for c in sorted(order, key=order.__getitem__)]
        if len(ranked) < limit:
            rest = "".join(" " if t else ch for ch, t in zip(cleaned, taken, strict=True))
            ranked += [m for m in self._fuzzy(rest) if m.code not in order]
        return ranked[:limit]

    def _fuzzy(self, rest: str) -> list[Match]:
        segments = [s for s in _SEGMENT_RE.findall(rest) if len(s) >= 3]
        if not segments:
            return []
        queries = list(dict.fromkeys(segments))
        for segment in segments:
            tokens = [t for t in self.tokenizer().lcut(segment) if t.strip()]
            queries += [t for t in tokens if len(t) >= 3]
            queries += [a + b for a, b in zip(tokens, tokens[1:], strict=False) if len(a + b) >= 3]
        best: dict[str, Match] = {}
        for query in dict.fromkeys(queries):
            for word, score, _ in process.extract(
                query, self._choices, scorer=fuzz.WRatio, score_cutoff=FUZZY_CUTOFF, limit=5
            ):
                code = self._words[word][0]
                score = min(float(score), FUZZY_CAP)
                if code not in best or score > best[code].score:
                    best[code] = Match(code, self.rows[code].name, score, query, "fuzzy")
        return sorted(best.values(), key=lambda m: -m.score)


@cache
def _related_index() -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for row in OccupationMatcher.default().rows.values():
        for other in row.related:
            index.setdefault(row.code, set()).add(other)
            index.setdefault(other, set()).add(row.code)
    return {code: frozenset(codes) for code, codes in index.items()}


def related_codes(code: str) -> frozenset[str]:
    """Codes related to ``code`` in either direction of the ``related`` column."""
    return _related_index().get(code, frozenset())


def general_labour_codes() -> frozenset[str]:
    """Codes of occupations that need no specific skill (普工, 装卸, 保洁 …)."""
    return frozenset(r.code for r in OccupationMatcher.default().rows.values() if r.general_labour)
