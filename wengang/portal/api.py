"""The public feed of published postings (``/api/v1/public``): no login, read-only, nothing personal.

Other platforms mirror the job board from it. A client syncs incrementally: the first call gives
``updated_since`` (or nothing, for everything), each answer's ``next_cursor`` fetches the next page, and a
``null`` cursor means it is up to date; it keeps the ``updated_at`` of the last item for its next sync.
Items come in ``(updated_at, id)`` order (keyset pagination, so a page never skips or repeats a row when
others change meanwhile; a row changed again simply comes back later). A posting that was public once and no
longer is (paused, filled, closed, sent back) comes as ``{"id", "status": "withdrawn", "updated_at"}`` so
mirrors can delete it. A posting past its ``end_date`` is not public either and comes as withdrawn when it
is next listed; since passing a date changes no row, mirrors should also drop postings by ``end_date``.
Clients should overlap syncs a little (``updated_since`` a minute before the last ``updated_at`` seen) and
upsert by ``id``: a transaction that commits late can carry an earlier ``updated_at``. Not rate-limited here
(limit in the reverse proxy if needed).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any, Literal

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from wengang.jobs.choices import PostingStatus
from wengang.jobs.models import Posting

from .selectors import area_labels, public_postings

router = Router(tags=["public"])

MAX_LIMIT = 500
FEED_FIELDS = (
    "id",
    "title",
    "enterprise__name",
    "enterprise__uscc",
    "occupation_id",
    "occupation__name",
    "headcount",
    "filled_count",
    "wage_unit",
    "wage_min",
    "wage_max",
    "wage_note",
    "monthly_min",
    "monthly_max",
    "board",
    "shift",
    "area_code",
    "address",
    "latitude",
    "longitude",
    "start_date",
    "end_date",
    "is_directed_export",
    "partner_region",
    "is_public_welfare",
    "status",
    "published_at",
    "updated_at",
)


class PublicPostingOut(Schema):
    id: int
    status: Literal["published"] = "published"
    title: str
    enterprise_name: str
    enterprise_uscc: str
    occupation_code: str | None
    occupation_name: str | None
    headcount: int
    open_places: int
    wage_unit: str
    wage_min: float | None
    wage_max: float | None
    wage_note: str
    monthly_min: int | None
    monthly_max: int | None
    board: str
    shift: str
    area_code: str
    area_name: str
    address: str
    latitude: float | None
    longitude: float | None
    start_date: dt.date | None
    end_date: dt.date | None
    is_directed_export: bool
    partner_region: str
    is_public_welfare: bool
    published_at: dt.datetime | None
    updated_at: dt.datetime


class WithdrawnOut(Schema):
    id: int
    status: Literal["withdrawn"] = "withdrawn"
    updated_at: dt.datetime


class FeedPage(Schema):
    items: list[PublicPostingOut | WithdrawnOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null when done.")


class FeedQuery(Schema):
    updated_since: dt.datetime | None = Field(
        None, description="Only postings changed at or after this time."
    )
    cursor: str = Field("", description="`next_cursor` of the previous page (takes over from updated_since).")
    limit: int = Field(100, ge=1, le=MAX_LIMIT)


def _encode_cursor(updated_at: dt.datetime, pk: int) -> str:
    raw = f"{updated_at.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, pk = raw.split("|")
        when = dt.datetime.fromisoformat(stamp)
        if timezone.is_naive(when):
            raise ValueError(stamp)
        return when, int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise HttpError(
            400, _("The cursor is not one this feed gave out; start again with updated_since.")
        ) from exc


def _number(value: Any) -> float | None:
    return float(value) if value is not None else None


def _item(row: dict[str, Any], public_ids: set[int], names: dict[str, str]) -> dict[str, Any]:
    if row["id"] not in public_ids:
        return {"id": row["id"], "status": "withdrawn", "updated_at": row["updated_at"]}
    return {
        "id": row["id"],
        "status": "published",
        "title": row["title"],
        "enterprise_name": row["enterprise__name"],
        "enterprise_uscc": row["enterprise__uscc"],
        "occupation_code": row["occupation_id"],
        "occupation_name": row["occupation__name"],
        "headcount": row["headcount"],
        "open_places": max(row["headcount"] - row["filled_count"], 0),
        "wage_unit": row["wage_unit"],
        "wage_min": _number(row["wage_min"]),
        "wage_max": _number(row["wage_max"]),
        "wage_note": row["wage_note"],
        "monthly_min": row["monthly_min"],
        "monthly_max": row["monthly_max"],
        "board": row["board"],
        "shift": row["shift"],
        "area_code": row["area_code"],
        "area_name": names.get(row["area_code"], ""),
        "address": row["address"],
        "latitude": row["latitude"],
        "longitude": row["longitude"],
        "start_date": row["start_date"],
        "end_date": row["end_date"],
        "is_directed_export": row["is_directed_export"],
        "partner_region": row["partner_region"],
        "is_public_welfare": row["is_public_welfare"],
        "published_at": row["published_at"],
        "updated_at": row["updated_at"],
    }


@router.get("/postings", response=FeedPage, auth=None)
def public_postings_feed(request: HttpRequest, params: Query[FeedQuery]) -> dict[str, Any]:
    """Published postings, and withdrawn ones as tombstones, in (updated_at, id) order."""
    # Every posting that was ever published: the current ones in full, the others as tombstones.
    qs = Posting.objects.filter(published_at__isnull=False)
    if params.cursor:
        after, pk = _decode_cursor(params.cursor)
        qs = qs.filter(Q(updated_at__gt=after) | Q(updated_at=after, id__gt=pk))
    elif params.updated_since is not None:
        since = params.updated_since
        if timezone.is_naive(since):
            since = timezone.make_aware(since)
        qs = qs.filter(updated_at__gte=since)
    rows = list(qs.order_by("updated_at", "id").values(*FEED_FIELDS)[: params.limit + 1])
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    candidates = [r["id"] for r in rows if r["status"] == PostingStatus.PUBLISHED]
    public_ids = set(public_postings().filter(pk__in=candidates).values_list("pk", flat=True))
    names = area_labels({r["area_code"] for r in rows if r["id"] in public_ids})
    items = [_item(r, public_ids, names) for r in rows]
    last = rows[-1] if rows and more else None
    return {"items": items, "next_cursor": _encode_cursor(last["updated_at"], last["id"]) if last else None}


@router.get("/postings/{posting_id}", response=PublicPostingOut, auth=None)
def public_posting(request: HttpRequest, posting_id: int) -> dict[str, Any]:
    """One published posting; 404 for anything not public now."""
    row = get_object_or_404(public_postings().values(*FEED_FIELDS), pk=posting_id)
    return _item(row, {row["id"]}, area_labels({row["area_code"]}))
