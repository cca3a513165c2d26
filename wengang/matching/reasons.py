"""Why a posting is recommended, in Chinese, from the score's terms (plain strings, no Django).

``render(explain(ctx, seeker, posting))`` gives e.g. "距家约 12 公里 · 月薪 4500–6000 元 · 包吃住 · 重点企业 ·
与您的技能相符". The Django layer wraps the phrases for translation later; the phrase table is here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arrays import BOARD_LODGING, BOARD_MEALS
from .engine import Context
from .scoring import pair_terms

SEP = " · "


@dataclass(frozen=True)
class Explanation:
    """The facts behind one recommendation and each term's points."""

    feasible: bool
    km: float
    in_destination: bool
    wage_min: float
    wage_max: float
    above_last_income: bool
    board: int
    key: bool
    skills_matched: int
    terms: dict[str, float]
    score: float


def explain(ctx: Context, seeker: int, posting: int) -> Explanation:
    s = np.array([seeker])
    p = np.array([posting])
    t = pair_terms(ctx.seekers, ctx.postings, ctx.weights, ctx.prep, ctx.compat, s, p)
    post = ctx.postings
    last = float(ctx.seekers.last_income[seeker])
    mid = float(ctx.prep.p_mid[posting])
    terms = {
        "distance": float(t.distance[0]),
        "wage_income": float(t.wage_income[0]),
        "wage_local": float(t.wage_local[0]),
        "board": float(t.board[0]),
        "skills": float(t.skills[0]),
        "key_enterprise": float(t.key[0]),
        "priority": float(t.priority[0]),
    }
    return Explanation(
        feasible=bool(t.feasible[0]),
        km=float(t.km[0]),
        in_destination=bool(t.in_destination[0]),
        wage_min=float(post.wage_min[posting]),
        wage_max=float(post.wage_max[posting]),
        above_last_income=last > 0 and mid > last,
        board=int(post.board[posting]),
        key=bool(post.key[posting]),
        skills_matched=int(t.skills_matched[0]),
        terms=terms,
        score=float(np.float32(t.total[0])),
    )


def _yuan(x: float) -> str:
    return f"{round(x):d}"


def phrases(e: Explanation, destination_name: str = "") -> list[str]:
    out = []
    if e.in_destination:
        out.append(f"位于您的意向务工地{destination_name}")
    elif e.km < 1:
        out.append("距家不到 1 公里")
    else:
        out.append(f"距家约 {round(e.km):d} 公里")
    if e.wage_min > 0 and e.wage_max > e.wage_min:
        out.append(f"月薪 {_yuan(e.wage_min)}–{_yuan(e.wage_max)} 元")
    elif e.wage_min > 0:
        out.append(f"月薪 {_yuan(e.wage_min)} 元")
    if e.above_last_income:
        out.append("高于您上次的收入")
    meals, lodging = bool(e.board & BOARD_MEALS), bool(e.board & BOARD_LODGING)
    if meals and lodging:
        out.append("包吃住")
    elif meals:
        out.append("包吃")
    elif lodging:
        out.append("包住")
    if e.key:
        out.append("重点企业")
    if e.skills_matched:
        out.append("与您的技能相符")
    return out


def render(e: Explanation, destination_name: str = "") -> str:
    """One line of reasons, phrases joined by " · "."""
    return SEP.join(phrases(e, destination_name))
