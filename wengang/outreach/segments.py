"""Segments: saved registry filters (plus "priority people only"), applied within the using user's scope.

``segment_people`` is the only way outreach gets a segment's people; it goes through the registry's scoped
``person_list``, so a segment saved by one county's staff never reaches another county's people when used
by someone else, and vice versa.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from wengang.accounts.scoping import code_in_scope, scope_queryset
from wengang.assistance.choices import CaseStatus
from wengang.assistance.models import PriorityCase
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.registry.models import Person
from wengang.registry.selectors import PersonFilters, person_list

from .choices import Channel
from .models import Segment, WeChatBinding

FILTER_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(PersonFilters) if f.name != "q") + ("priority",)
_INT_FIELDS = {"age_min", "age_max"}
_DATE_FIELDS = {"updated_since", "returned_from", "returned_to"}
SAMPLE_SIZE = 3


def filters_clean(raw: dict[str, Any]) -> dict[str, Any]:
    """The stored form of a segment's filters: known keys only, empty values dropped, dates as ISO text."""
    out: dict[str, Any] = {}
    for key in FILTER_FIELDS:
        value = raw.get(key)
        if value in (None, "", []):
            continue
        if key in _INT_FIELDS:
            try:
                value = int(str(value))
            except (TypeError, ValueError):
                raise ValidationError({key: _("Enter a whole number.")}) from None
        elif key in _DATE_FIELDS:
            if isinstance(value, dt.date):
                value = value.isoformat()
            else:
                try:
                    value = dt.date.fromisoformat(str(value)).isoformat()
                except ValueError:
                    raise ValidationError({key: _("Enter a date as YYYY-MM-DD.")}) from None
        else:
            value = str(value).strip()
        out[key] = value
    return out


def person_filters(stored: dict[str, Any]) -> PersonFilters:
    kwargs: dict[str, Any] = {}
    for key, value in stored.items():
        if key == "priority" or key not in FILTER_FIELDS:
            continue
        if key in _DATE_FIELDS:
            kwargs[key] = dt.date.fromisoformat(value)
        elif key in _INT_FIELDS:
            kwargs[key] = int(value)
        else:
            kwargs[key] = str(value)
    return PersonFilters(**kwargs)


def open_case_q() -> Q:
    return Q(Exists(PriorityCase.objects.filter(person_id=OuterRef("pk"), status=CaseStatus.OPEN)))


def people_matching(*, user: Any, filters: dict[str, Any]) -> QuerySet[Person]:
    """The people ``filters`` select among those ``user`` may see (nobody for a user without outreach)."""
    if user is None or not user.can("outreach.view"):
        return Person.objects.none()
    qs = person_list(user=user, filters=person_filters(filters))
    if str(filters.get("priority", "")) == "1":
        qs = qs.filter(open_case_q())
    return qs


def segment_people(segment: Segment, *, user: Any) -> QuerySet[Person]:
    return people_matching(user=user, filters=segment.filters or {})


# --- Reachability per channel: consent in force and an address on that channel.


def _bound_q() -> Q:
    return Q(Exists(WeChatBinding.objects.filter(person_id=OuterRef("pk"))))


def reachable_q(channel: str, *, essential: bool = False) -> Q:
    """People who can be reached on ``channel`` (an essential text needs the address, not the consent)."""
    consent = Q() if essential else Q(**{f"consent_{channel}": True})
    if channel in (Channel.SMS, Channel.PHONE):
        return consent & ~Q(phone_hash="")
    if channel == Channel.WECHAT:
        return consent & _bound_q()
    if channel == Channel.APP:
        return consent
    return Q(pk__in=[])


PERSON_CHANNELS: tuple[str, ...] = (Channel.WECHAT, Channel.SMS, Channel.APP, Channel.PHONE)


@dataclass
class Preview:
    total: int
    reachable: dict[str, int]
    samples: list[str]


def segment_preview(
    *, user: Any, filters: dict[str, Any], template_body: str = "", essential: bool = False
) -> Preview:
    """How many people, how many reachable on each channel, and a few texts rendered for them (masked)."""
    from .campaigns import render_for_people

    qs = people_matching(user=user, filters=filters)
    total = qs.count()
    reachable = {channel: qs.filter(reachable_q(channel)).count() for channel in PERSON_CHANNELS}
    samples: list[str] = []
    if template_body and total:
        rows: list[dict[str, Any]] = [
            dict(r) for r in qs.order_by("id").values("id", "name", "village_code")[:SAMPLE_SIZE]
        ]
        samples = render_for_people(rows, body=template_body, essential=essential, masked=True)
    return Preview(total=total, reachable=reachable, samples=samples)


def segment_list(*, user: Any) -> QuerySet[Segment]:
    if not user.can("outreach.view"):
        return Segment.objects.none()
    return scope_queryset(Segment.objects.all(), user, field="area_code").select_related("created_by")


def segment_get(*, user: Any, pk: Any) -> Segment:
    return segment_list(user=user).get(pk=pk)


def _user_area(user: Any) -> str:
    return str(getattr(user, "scope_code", "") or "")


def segment_save(
    *, actor: Any, name: str, filters: dict[str, Any], segment: Segment | None = None, request: Any = None
) -> Segment:
    """Create or change a segment. Its area is the creator's; an area filter must lie within the actor's."""
    if not actor.can("outreach.send"):
        raise PermissionDenied(_("Your roles do not allow sending messages."))
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Enter a name.")})
    if len(name) > 100:
        raise ValidationError({"name": _("The name is longer than 100 characters.")})
    cleaned = filters_clean(filters)
    area = cleaned.get("area", "")
    if area and not code_in_scope(actor, area):
        raise ValidationError({"area": _("The area %(code)s is outside yours.") % {"code": area}})
    with transaction.atomic():
        if segment is None:
            segment = Segment.objects.create(
                name=name, filters=cleaned, area_code=area or _user_area(actor), created_by=actor
            )
            action = Action.CREATE
        else:
            if not code_in_scope(actor, segment.area_code):
                raise PermissionDenied(_("This segment belongs to another area."))
            segment.name, segment.filters = name, cleaned
            segment.area_code = area or segment.area_code or _user_area(actor)
            segment.save(update_fields=["name", "filters", "area_code", "updated_at"])
            action = Action.UPDATE
        audit_record(
            action=action,
            actor=actor,
            object_type="outreach.segment",
            object_id=segment.pk,
            request=request,
            changes={"name": name, "filters": cleaned},
        )
    return segment
