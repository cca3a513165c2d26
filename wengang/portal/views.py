"""The public job board (公共就业信息发布平台): search and posting pages, no login, nothing personal.

Anonymous reads of published postings carry no personal data, so they write no audit event. Anything not
public (drafts, postings under review, paused, filled, closed or past their end date) answers 404.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from wengang.jobs.choices import WageUnit
from wengang.jobs.models import Posting

from .forms import BoardSearchForm
from .selectors import area_labels, board_page, board_posting, city_name

PAGE_SIZE = 20
# How a worker applies until worker accounts exist; shown on every posting page.
APPLY_HINT = gettext_lazy(
    "Contact your township (subdistrict) human resources and social security service station, or call 12333."
)


def _amount(value: Decimal | int | None) -> str:
    if value is None:
        return ""
    number = Decimal(value)
    return f"{number:,.0f}" if number == number.to_integral_value() else f"{number:,.2f}"


def _range(low: Decimal | int | None, high: Decimal | int | None) -> str:
    if low is not None and high is not None and low != high:
        return f"{_amount(low)}–{_amount(high)}"
    return _amount(low if low is not None else high)


def monthly_pay(posting: Posting) -> str:
    """“4,000–6,000 yuan a month”, or “negotiable” when the enterprise gave no figure."""
    amount = _range(posting.monthly_min, posting.monthly_max)
    if not amount:
        return _("Pay negotiable")
    return _("%(amount)s yuan a month") % {"amount": amount}


def original_pay(posting: Posting) -> str:
    """The pay as the enterprise stated it, when it is not a plain monthly figure (day, hour, piece rate)."""
    if posting.wage_unit == WageUnit.MONTH:
        return posting.wage_note
    amount = _range(posting.wage_min, posting.wage_max)
    text = (
        _("%(amount)s yuan, %(unit)s") % {"amount": amount, "unit": posting.get_wage_unit_display()}
        if amount and posting.wage_unit != WageUnit.PIECE
        else str(posting.get_wage_unit_display())
    )
    return f"{text}；{posting.wage_note}" if posting.wage_note else text


def _worker_login_url(posting_url: str) -> str:
    """The worker login with a way back to the posting, once worker pages exist; else empty."""
    try:
        login = reverse("portal:worker_login")
    except NoReverseMatch:
        return ""
    return f"{login}?{urlencode({'next': posting_url})}"


def _site() -> dict[str, Any]:
    return {"city_name": city_name()}


@require_GET
@cache_control(public=True, max_age=60)
def board_view(request: HttpRequest) -> HttpResponse:
    form = BoardSearchForm(request.GET or None)
    filters = form.filters()
    page = board_page(filters, request.GET.get("page"), per_page=PAGE_SIZE)
    postings = list(page.object_list)
    labels = area_labels({p.area_code for p in postings})
    cards = [
        {
            "posting": p,
            "place": labels.get(p.area_code, ""),
            "pay": monthly_pay(p),
            "pay_note": original_pay(p),
        }
        for p in postings
    ]
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "portal/board.html",
        {"form": form, "page": page, "cards": cards, "params": params.urlencode(), **_site()},
    )


@require_GET
@cache_control(public=True, max_age=60)
def board_posting_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        posting = board_posting(pk)
    except Posting.DoesNotExist as exc:
        raise Http404(_("This posting is not (or no longer) published.")) from exc
    url = reverse("portal:board_posting", kwargs={"pk": posting.pk})
    return render(
        request,
        "portal/board_posting.html",
        {
            "posting": posting,
            "place": area_labels({posting.area_code})[posting.area_code],
            "pay": monthly_pay(posting),
            "pay_note": original_pay(posting),
            "apply_hint": APPLY_HINT,
            "apply_url": _worker_login_url(url),
            "back_url": reverse("portal:board"),
            **_site(),
        },
    )
