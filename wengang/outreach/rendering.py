"""Template variables ({姓名} {岗位} {链接} {专员电话} {区县}) and their rendering per person.

Rendering is plain ``str.replace`` on values prepared per batch, so a campaign renders tens of thousands of
texts a second. ``{岗位}`` lists the person's top current recommendations (up to three) and drops the last
ones while the SMS would run over ``sms.MAX_SEGMENTS``. A template is refused when its worst case — the
longest plausible value of every variable, the 【signature】 and the opt-out line — runs over that limit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import sms
from .conf import outreach_conf

NAME, JOBS, LINK, PHONE, COUNTY = "{姓名}", "{岗位}", "{链接}", "{专员电话}", "{区县}"
VARIABLES: tuple[str, ...] = (NAME, JOBS, LINK, PHONE, COUNTY)
MAX_JOBS = 3
JOB_SEPARATOR = "；"

_VARIABLE_RE = re.compile(r"\{([^{}]*)\}")

# Longest plausible values, for the worst-case estimate of a template's length.
_LONGEST_NAME = "欧阳某某某"
_LONGEST_JOB = "数控车床操作工（学徒可带教） 12000-18000元/月 洛阳市伊滨区"
_LONGEST_PHONE = "0379-12345678"
_LONGEST_COUNTY = "洛阳市伊滨区"


def hotline() -> str:
    """The number given when a person has no specialist of their own (the 12333 service line by default)."""
    return str(outreach_conf().get("hotline") or "12333")


def board_link(posting_id: int | None = None) -> str:
    base = f"{settings.WENGANG_PUBLIC_URL}/board/"
    return f"{base}{posting_id}/" if posting_id else base


def no_jobs_text() -> str:
    return _("no job matched for you yet; see the latest openings on the job board")


def unknown_variables(body: str) -> list[str]:
    """The ``{…}`` placeholders in ``body`` that are not template variables, in order of appearance."""
    out: list[str] = []
    for match in _VARIABLE_RE.finditer(body):
        token = "{" + match.group(1) + "}"
        if token not in VARIABLES and token not in out:
            out.append(token)
    return out


def pay_text(monthly_min: int | None, monthly_max: int | None) -> str:
    if monthly_min and monthly_max and monthly_max != monthly_min:
        return f"{monthly_min}-{monthly_max}元/月"
    amount = monthly_min or monthly_max
    return f"{amount}元/月" if amount else "薪资面议"


def job_text(title: str, monthly_min: int | None, monthly_max: int | None, place: str) -> str:
    """One recommendation as a worker reads it: "电焊工 6500元/月 孟津区"."""
    return " ".join(part for part in (title.strip(), pay_text(monthly_min, monthly_max), place) if part)


def worst_case_segments(body: str, *, essential: bool) -> int:
    """SMS count of ``body`` with the longest plausible values. ``{岗位}`` counts one recommendation at its
    longest (or the no-match sentence, whichever is longer): further ones are dropped when they do not fit."""
    jobs = max(_LONGEST_JOB, no_jobs_text(), key=len)
    text = (
        body.replace(NAME, _LONGEST_NAME)
        .replace(JOBS, jobs)
        .replace(LINK, board_link(9_999_999))
        .replace(PHONE, _LONGEST_PHONE)
        .replace(COUNTY, _LONGEST_COUNTY)
    )
    return sms.segment_count(sms.sms_text(text, essential=essential))


def template_check(body: str, *, essential: bool) -> int:
    """Validate a template's text; return its worst-case SMS count. Raises ValidationError on ``body``."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("The text is empty.")})
    unknown = unknown_variables(body)
    if unknown:
        raise ValidationError(
            {
                "body": _("Unknown variable %(names)s; the known variables are %(known)s.")
                % {"names": "、".join(unknown), "known": " ".join(VARIABLES)}
            }
        )
    count = worst_case_segments(body, essential=essential)
    if count > sms.MAX_SEGMENTS:
        raise ValidationError(
            {
                "body": _(
                    "With the longest content the text comes to %(count)s SMS messages, above the limit "
                    "of %(limit)s; shorten it."
                )
                % {"count": count, "limit": sms.MAX_SEGMENTS}
            }
        )
    return count


def mask_name(name: str) -> str:
    """张*明 for 张三明, 张* for 张三: enough to recognise a sample, not to identify a person."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@dataclass(frozen=True)
class Rendered:
    body: str
    postings: list[int]
    segments: int  # SMS segments (0 for other channels)


class Renderer:
    """Renders one template for many people: the parts that do not depend on the person are done once."""

    def __init__(self, body: str, *, essential: bool) -> None:
        self.body = body.strip()
        self.essential = essential
        self.has_jobs = JOBS in self.body
        self.has_link = LINK in self.body
        self.has_phone = PHONE in self.body
        self.no_jobs = no_jobs_text()
        self.signature = sms.signature()
        self.opt_out = "" if essential or sms.OPT_OUT_LINE in self.body else sms.OPT_OUT_LINE

    def render(
        self,
        *,
        name: str,
        county: str,
        phone: str,
        jobs: Sequence[tuple[int, str]],
        sms_channel: bool,
    ) -> Rendered:
        """``jobs``: (posting id, job text) of the person's recommendations, best first."""
        text = self.body
        if NAME in text:
            text = text.replace(NAME, name)
        if COUNTY in text:
            text = text.replace(COUNTY, county)
        if PHONE in text:
            text = text.replace(PHONE, phone)
        if self.has_link:
            text = text.replace(LINK, board_link(jobs[0][0] if jobs else None))
        shown = list(jobs[:MAX_JOBS])
        if self.has_jobs:
            if not shown:
                out = text.replace(JOBS, self.no_jobs)
            else:
                while True:
                    out = text.replace(JOBS, JOB_SEPARATOR.join(job for _pk, job in shown))
                    if len(shown) == 1 or self._segments(out) <= sms.MAX_SEGMENTS:
                        break
                    shown.pop()
            text = out
        return Rendered(
            body=text,
            postings=[pk for pk, _job in shown],
            segments=self._segments(text) if sms_channel else 0,
        )

    def _segments(self, body: str) -> int:
        return fast_segment_count(self.signature + body + self.opt_out)


_NON_GSM = re.compile("[^" + re.escape("".join(sorted(sms._GSM_BASIC | sms._GSM_EXTENDED))) + "]")
_ASTRAL = "\U00010000"


def fast_segment_count(text: str) -> int:
    """``sms.segment_count`` with the common case (a Chinese text: its 【signature】 is already outside the
    7-bit alphabet) done by C-level string operations."""
    if not text or _NON_GSM.search(text) is None:
        return sms.segment_count(text)
    units = len(text)
    if max(text) >= _ASTRAL:
        units += sum(1 for ch in text if ch >= _ASTRAL)
    return 1 if units <= 70 else -(-units // 67)
