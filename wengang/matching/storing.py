"""A run's recommendations as columns: built for all pairs at once and written in bulk.

The reasons of a pair depend on a handful of facts — how far, whether in the seeker's destination city, the
posting's pay, board and enterprise, whether the pay beats the seeker's last income and whether the skills
match — so the phrases are rendered once per distinct combination (with :func:`.reasons.phrases`, the one
phrase table) and shared by every pair that has it: the text is the same as rendering each pair, without a
Python object per row.

Writing: PostgreSQL takes the rows with ``COPY … FROM STDIN`` (text format, streamed in chunks), SQLite with
one ``executemany``; either way inside the caller's transaction, so the rows they replace go in the same
commit. The keys have no database constraint (see :class:`.models.Recommendation`): :func:`drop_vanished`
then removes, before that commit, the rows of people or postings deleted while the run computed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import connection

from wengang.jobs.models import Posting
from wengang.registry.models import Person

from . import reasons
from .models import TERM_KEYS, Recommendation
from .scoring import pair_terms

if TYPE_CHECKING:
    from .engine import Context, Recommendations
    from .loading import Loaded

TERMS = TERM_KEYS[:-1]  # the score's terms ("km" is the last key)
CHUNK = 50_000  # rows per COPY write / executemany call (and progress update)
MAX_REASONS = 300  # Recommendation.reasons max_length


@dataclass
class Columns:
    """Recommendation rows of one run, column by column (row n of every array is one row)."""

    person_id: np.ndarray  # int64
    posting_id: np.ndarray  # int64
    rank: np.ndarray  # int64, 1-based
    score: np.ndarray  # float64, rounded to 3 decimals
    reasons: np.ndarray  # object: str
    terms: dict[str, np.ndarray]  # TERMS + "km", float64 rounded as stored (2 decimals; km 1)

    @classmethod
    def empty(cls) -> Columns:
        none = np.zeros(0, np.int64)
        nothing = np.zeros(0, np.float64)
        return cls(none, none, none, nothing, np.zeros(0, object), dict.fromkeys((*TERMS, "km"), nothing))

    def __len__(self) -> int:
        return len(self.person_id)

    def take(self, idx: np.ndarray | slice) -> Columns:
        return Columns(
            self.person_id[idx],
            self.posting_id[idx],
            self.rank[idx],
            self.score[idx],
            self.reasons[idx],
            {k: v[idx] for k, v in self.terms.items()},
        )

    def terms_text(self) -> list[str]:
        """Each row's ``Recommendation.term_values`` (what :func:`.models.encode_terms` gives)."""
        texts = [_float_texts(self.terms[k]) for k in TERM_KEYS]
        return [f"{a},{b},{c},{d},{e},{f},{g},{h}" for a, b, c, d, e, f, g, h in zip(*texts, strict=True)]

    def rows(self, *, terms_as_text: bool = False) -> list[tuple[Any, ...]]:
        """(person, posting, rank, score, reasons, terms) per row; terms as dicts or as their stored text."""
        terms: list[Any] = self.terms_text() if terms_as_text else self.terms_dicts()
        return list(
            zip(
                self.person_id.tolist(),
                self.posting_id.tolist(),
                self.rank.tolist(),
                self.score.tolist(),
                self.reasons.tolist(),
                terms,
                strict=True,
            )
        )

    def terms_dicts(self) -> list[dict[str, float]]:
        keys = (*TERMS, "km")
        cols = [self.terms[k].tolist() for k in keys]
        return [dict(zip(keys, values, strict=True)) for values in zip(*cols, strict=True)]


def _float_texts(values: np.ndarray) -> np.ndarray:
    """``repr`` of each float, formatted once per distinct value."""
    uniq, inverse = np.unique(values, return_inverse=True)
    texts = np.array([repr(v) for v in uniq.tolist()], dtype=object)
    return texts[inverse.ravel()]


def round_like_python(values: np.ndarray, ndigits: int) -> np.ndarray:
    """``round(float(v), ndigits)`` for every value, vectorised (exact: values whose scaled fraction is
    within a hair of one half, where NumPy's scale-then-round may differ, are rounded by Python)."""
    x = np.asarray(values, dtype=np.float64)
    scale = 10.0**ndigits
    y = x * scale
    out = np.rint(y) / scale
    frac = np.abs(y - np.floor(y) - 0.5)
    near = np.flatnonzero(~np.isfinite(y) | (frac < 1e-6))
    if len(near):
        out[near] = [round(v, ndigits) for v in x[near].tolist()]
    return out


def _grouped(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the first row of each distinct key, and each row's group."""
    _uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return first, inverse.ravel()


def build(loaded: Loaded, ctx: Context, recs: Recommendations) -> Columns:
    """Every stored pair of ``recs`` with its score, terms and reasons."""
    s_idx, rank_idx = np.nonzero(recs.index >= 0)
    p_idx = recs.index[s_idx, rank_idx]
    if not len(s_idx):
        return Columns.empty()
    t = pair_terms(ctx.seekers, ctx.postings, ctx.weights, ctx.prep, ctx.compat, s_idx, p_idx)
    post = ctx.postings
    last = ctx.seekers.last_income
    km = np.asarray(t.km, np.float64)
    in_dest = np.asarray(t.in_destination, np.bool_)
    above = (last[s_idx] > 0) & (ctx.prep.p_mid[p_idx] > last[s_idx])
    matched = np.asarray(t.skills_matched) != 0
    terms_raw = {
        "distance": t.distance,
        "wage_income": t.wage_income,
        "wage_local": t.wage_local,
        "board": t.board,
        "skills": t.skills,
        "key_enterprise": t.key,
        "priority": t.priority,
    }

    def explanation(n: int) -> reasons.Explanation:
        j = int(p_idx[n])
        return reasons.Explanation(
            feasible=bool(t.feasible[n]),
            km=float(km[n]),
            in_destination=bool(in_dest[n]),
            wage_min=float(post.wage_min[j]),
            wage_max=float(post.wage_max[j]),
            above_last_income=bool(above[n]),
            board=int(post.board[j]),
            key=bool(post.key[j]),
            skills_matched=int(t.skills_matched[n]),
            terms={},
            score=0.0,
        )

    def city_name(n: int) -> str:
        return loaded.city_names.get(int(post.city[int(p_idx[n])]), "")

    # The first phrase (where): in the destination city (by the posting's city), county-centre estimates
    # (same county, or rounded km), less than 1 km, or rounded km.
    coarse = loaded.seeker_coarse[s_idx]
    same_county = loaded.seekers.county[s_idx] == post.county[p_idx]
    rounded_km = np.rint(km).astype(np.int64)
    kind = np.where(in_dest, 0, np.where(coarse, np.where(same_county, 1, 2), np.where(km < 1, 3, 4))).astype(
        np.int64
    )
    value = np.where(
        kind == 0, post.city[p_idx].astype(np.int64), np.where((kind == 2) | (kind == 4), rounded_km, 0)
    )
    first, where_group = _grouped(kind * (1 << 40) + value)
    where_text = []
    for n in first.tolist():
        e = explanation(n)
        phrase = reasons.phrases(e, city_name(n))[0]
        where_text.append(
            _distance_phrase(loaded, phrase, int(s_idx[n]), int(p_idx[n]), e.km, e.in_destination)
        )

    # The rest: the posting's pay, board and enterprise, and the pair's income and skills flags.
    what_key = p_idx.astype(np.int64) * 4 + above.astype(np.int64) * 2 + matched.astype(np.int64)
    first_what, what_group = _grouped(what_key)
    what_text = [reasons.phrases(explanation(n), city_name(n))[1:] for n in first_what.tolist()]

    combined = where_group.astype(np.int64) * len(first_what) + what_group
    uniq, inverse = np.unique(combined, return_inverse=True)
    texts = np.array(
        [
            reasons.SEP.join([where_text[c // len(first_what)], *what_text[c % len(first_what)]])[
                :MAX_REASONS
            ]
            for c in uniq.tolist()
        ],
        dtype=object,
    )
    terms = {k: round_like_python(v, 2) for k, v in terms_raw.items()}
    terms["km"] = round_like_python(km, 1)
    return Columns(
        person_id=loaded.person_ids[s_idx].astype(np.int64),
        posting_id=loaded.posting_ids[p_idx].astype(np.int64),
        rank=rank_idx.astype(np.int64) + 1,
        score=round_like_python(recs.score[s_idx, rank_idx], 3),
        reasons=texts[inverse.ravel()],
        terms=terms,
    )


def _distance_phrase(loaded: Loaded, first: str, s: int, j: int, km: float, in_destination: bool) -> str:
    """Where only county centres are known, say so rather than "less than 1 km from home"."""
    if in_destination or not loaded.seeker_coarse[s]:
        return first
    if loaded.seekers.county[s] == loaded.postings.county[j]:
        return "在您所在的县（区）内"
    return f"距家约 {round(km):d} 公里（按县区中心估算）"


def without_pairs(cols: Columns, pairs: set[tuple[int, int]]) -> Columns:
    """``cols`` less the (person id, posting id) pairs given."""
    if not pairs or not len(cols):
        return cols
    drop = np.array([p * (1 << 32) + q for p, q in pairs], np.int64)
    keep = ~np.isin(cols.person_id * (1 << 32) + cols.posting_id, drop)
    return cols if keep.all() else cols.take(np.flatnonzero(keep))


def instances(run_id: int, cols: Columns) -> list[Recommendation]:
    """Model instances of the rows (for the few rows of an incremental update)."""
    return [
        Recommendation(
            run_id=run_id,
            person_id=pid,
            posting_id=post,
            rank=rank,
            score=score,
            reasons=text,
            term_values=terms,
            is_current=True,
        )
        for pid, post, rank, score, text, terms in cols.rows(terms_as_text=True)
    ]


CHECK_CHUNK = 20_000  # ids per existence query on SQLite (its variable limit is 32,766)


def _missing(model: Any, ids: np.ndarray) -> list[int]:
    """Those of ``ids`` (distinct) with no row of ``model`` any more: one query with the ids as an array on
    PostgreSQL, chunks of ``CHECK_CHUNK`` on SQLite (not the ORM's ``pk__in``: a million parameters through
    the query compiler took 10 s)."""
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                f"SELECT x FROM unnest(%s::bigint[]) AS u(x) "  # noqa: S608 (names from the model)
                f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.{pk} = u.x)",
                [ids.tolist()],
            )
            return [int(x) for (x,) in cur.fetchall()]
        present: list[int] = []
        for start in range(0, len(ids), CHECK_CHUNK):
            chunk = ids[start : start + CHECK_CHUNK].tolist()
            marks = ", ".join(["%s"] * len(chunk))
            cur.execute(f"SELECT {pk} FROM {table} WHERE {pk} IN ({marks})", chunk)  # noqa: S608
            present.extend(x for (x,) in cur.fetchall())
    return ids[~np.isin(ids, np.array(present, np.int64))].tolist()


def drop_vanished(run_id: int, cols: Columns) -> int:
    """Delete the run's rows whose person or posting was deleted while the run computed (the table's keys
    have no database constraint; see :class:`.models.Recommendation`). Call in the writing transaction,
    after :func:`write`. Returns the number of rows deleted."""
    if not len(cols):
        return 0
    people = _missing(Person, np.unique(cols.person_id))
    postings = _missing(Posting, np.unique(cols.posting_id))
    deleted = 0
    if people:
        deleted += Recommendation.objects.filter(run_id=run_id, person_id__in=people).delete()[0]
    if postings:
        deleted += Recommendation.objects.filter(run_id=run_id, posting_id__in=postings).delete()[0]
    return deleted


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _chunks(run_id: int, cols: Columns) -> Iterator[tuple[int, list[tuple[Any, ...]]]]:
    """Rows as tuples (person, posting, rank, score, reasons, terms text), ``CHUNK`` at a time, with the count
    written so far; Python objects exist for one chunk at a time."""
    for start in range(0, len(cols), CHUNK):
        end = min(start + CHUNK, len(cols))
        yield end, cols.take(slice(start, end)).rows(terms_as_text=True)


def write(run_id: int, cols: Columns, progress: Callable[[int, int], None] | None = None) -> None:
    """Insert the rows as current recommendations of run ``run_id`` (call inside a transaction)."""
    if not len(cols):
        return
    meta = Recommendation._meta
    column_of = {f.name: str(f.column) for f in meta.concrete_fields}
    fields = ("run", "person", "posting", "rank", "score", "reasons", "term_values", "is_current")
    names = [column_of[f] for f in fields]
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in names)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # Reasons are escaped once per distinct text; the other columns hold no tab, newline or backslash.
            cache: dict[str, str] = {}
            escaped = np.array(
                [
                    cache.get(t) or cache.setdefault(t, t.translate(_COPY_ESCAPES))
                    for t in cols.reasons.tolist()
                ],
                dtype=object,
            )
            cols = Columns(cols.person_id, cols.posting_id, cols.rank, cols.score, escaped, cols.terms)
            with cur.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for done, chunk in _chunks(run_id, cols):
                    head = f"{run_id}\t"
                    copy.write(
                        "".join(
                            f"{head}{p}\t{q}\t{r}\t{s!r}\t{x}\t{j}\tt\n" for p, q, r, s, x, j in chunk
                        ).encode()
                    )
                    if progress is not None:
                        progress(done, len(cols))
        else:
            sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(names))})"  # noqa: S608
            for done, chunk in _chunks(run_id, cols):
                cur.executemany(sql, [(run_id, *row, True) for row in chunk])
                if progress is not None:
                    progress(done, len(cols))
