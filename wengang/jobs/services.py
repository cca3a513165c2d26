"""Every write on postings: create, edit, the review workflow, hires counted, expiry.

Each service checks the actor may act on the posting's enterprise, validates, writes, and appends the audit
event in one transaction. Gender requirements are refused (Employment Promotion Law Art. 3 and 27).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from celery import signature
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.core.text import normalize_text
from wengang.employers.models import Enterprise
from wengang.employers.selectors import enterprise_queryset, is_employer_only

from .choices import MONTHLY_FACTOR, OPEN_STATUSES, TRANSITIONS, Board, PostingStatus, WageUnit
from .models import Occupation, Posting

# Fields a posting form or API call may set.
EDITABLE = (
    "occupation",
    "title",
    "description",
    "headcount",
    "wage_unit",
    "wage_min",
    "wage_max",
    "wage_note",
    "monthly_min",
    "monthly_max",
    "age_min",
    "age_max",
    "certificates",
    "education",
    "area_code",
    "address",
    "latitude",
    "longitude",
    "board",
    "shift",
    "start_date",
    "end_date",
    "is_directed_export",
    "partner_region",
    "is_public_welfare",
)
MIN_WORKING_AGE = 16
PAY_FIELDS = frozenset({"wage_unit", "wage_min", "wage_max", "monthly_min", "monthly_max", "wage_note"})

# Phrases that state a gender requirement; "男女不限" and the like are removed before the check.
_GENDER_NEUTRAL = re.compile(r"男女不限|不限男女|男女均可|男女皆可|性别不限|不限性别|男女各半?不限")
_GENDER_REQUIREMENT = re.compile(
    r"(限|仅限|只招|仅招|要求|招聘?)(男|女)(性|士|工|生)?|"
    r"(男|女)(性|士)?(优先|即可|为主)|"
    r"(男|女)性|男工|女工|性别要求|性别[:：]\s*(男|女)"
)


def gender_requirement(text: str) -> str:
    """The phrase in ``text`` that requires a gender, or ``""``."""
    cleaned = _GENDER_NEUTRAL.sub("", text)
    found = _GENDER_REQUIREMENT.search(cleaned)
    return found.group(0) if found else ""


def _can_act(actor: Any, enterprise: Enterprise) -> None:
    if not actor.can("postings.edit"):
        raise PermissionDenied(_("Your roles do not allow editing postings."))
    if not enterprise_queryset(actor).filter(pk=enterprise.pk).exists():
        raise PermissionDenied(_("This enterprise is outside what you may manage."))


def _monthly(unit: str, amount: Decimal | None) -> int | None:
    if amount is None:
        return None
    return int(round(float(amount) * MONTHLY_FACTOR[WageUnit(unit)]))


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Normalise and validate posting fields; raise one ValidationError naming every bad field."""
    out = dict(data)
    errors: dict[str, list[str]] = {}

    def err(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for field in ("title", "description", "wage_note", "address", "partner_region"):
        if field in out and out[field] is not None:
            out[field] = normalize_text(out[field]) if field != "description" else str(out[field]).strip()
    if "title" in out and not out["title"]:
        err("title", _("Give the posting a title."))
    for field in ("title", "description", "wage_note"):
        phrase = gender_requirement(str(out.get(field) or ""))
        if phrase:
            err(
                field,
                _(
                    "“%(phrase)s” states a gender requirement. The Employment Promotion Law (Art. 3 and 27) "
                    "forbids refusing or ranking applicants by gender; describe the work instead."
                )
                % {"phrase": phrase},
            )
    if "headcount" in out and (out["headcount"] is None or int(out["headcount"]) < 1):
        err("headcount", _("The headcount must be at least 1."))
    occupation = out.get("occupation")
    if isinstance(occupation, str):
        found = Occupation.objects.filter(code=occupation).first() if occupation else None
        if occupation and found is None:
            err("occupation", _("No occupation has the code %(code)s.") % {"code": occupation})
        out["occupation"] = found
    if PAY_FIELDS & set(out):
        _clean_pay(out, err)
    mlow, mhigh = out.get("monthly_min"), out.get("monthly_max")
    if mlow is not None and mhigh is not None and int(mlow) > int(mhigh):
        err("monthly_max", _("The upper end of the monthly pay is below the lower end."))
    age_min, age_max = out.get("age_min"), out.get("age_max")
    if age_min is not None and age_min < MIN_WORKING_AGE:
        err("age_min", _("The minimum age cannot be below 16 (Labour Law Art. 15)."))
    if age_min is not None and age_max is not None and age_min > age_max:
        err("age_max", _("The maximum age is below the minimum age."))
    if "certificates" in out:
        certs = out["certificates"] or []
        if isinstance(certs, str):
            certs = re.split(r"[,，、;；/\s]+", certs)
        out["certificates"] = [c for c in (normalize_text(c) for c in certs) if c]
    if "area_code" in out:
        code = str(out["area_code"] or "").strip()
        if not (code.isdigit() and len(code) in (6, 9, 12)):
            err("area_code", _("The work place must be an area code of 6, 9 or 12 digits."))
        out["area_code"] = code
    if "board" in out and out["board"] not in Board.values:
        err("board", _("Unknown board and lodging option."))
    start, end = out.get("start_date"), out.get("end_date")
    if start and end and end < start:
        err("end_date", _("The end date is before the start date."))
    if out.get("is_directed_export") and not out.get("partner_region"):
        err("partner_region", _("Name the partner region this directed export recruits for."))
    for lat_lon, bound in (("latitude", 90), ("longitude", 180)):
        value = out.get(lat_lon)
        if value is not None and not -bound <= float(value) <= bound:
            err(lat_lon, _("Out of range."))
    if errors:
        raise ValidationError(errors)
    return out


def _clean_pay(out: dict[str, Any], err: Any) -> None:
    """Pay fields: a range in the chosen unit, converted to monthly figures (piece rates: the estimate)."""
    unit = out.get("wage_unit") or WageUnit.MONTH
    if unit not in WageUnit.values:
        err("wage_unit", _("Unknown pay unit."))
        unit = WageUnit.MONTH
    low, high = out.get("wage_min"), out.get("wage_max")
    low = Decimal(str(low)) if low not in (None, "") else None
    high = Decimal(str(high)) if high not in (None, "") else None
    out["wage_min"], out["wage_max"] = low, high
    if low is not None and low < 0 or high is not None and high < 0:
        err("wage_min", _("Pay cannot be negative."))
    if low is not None and high is not None and low > high:
        err("wage_max", _("The upper end of the pay range is below the lower end."))
    if unit == WageUnit.PIECE:
        if out.get("monthly_min") in (None, ""):
            err(
                "monthly_min", _("For piece rates, give the monthly pay a worker can expect, for comparison.")
            )
        if not out.get("wage_note"):
            err("wage_note", _("For piece rates, say what is paid per piece (e.g. 每件 0.8 元)."))
    else:
        out["monthly_min"] = _monthly(unit, low)
        out["monthly_max"] = _monthly(unit, high)


def _snapshot(posting: Posting, fields: tuple[str, ...]) -> dict[str, Any]:
    out = {}
    for f in fields:
        value = getattr(posting, "occupation_id" if f == "occupation" else f)
        out[f] = value if isinstance(value, (int, bool, list, type(None))) else str(value)
    return out


@transaction.atomic
def posting_create(
    *, actor: Any, enterprise: Enterprise, data: dict[str, Any], request: HttpRequest | None = None
) -> Posting:
    """A new posting, as a draft. Staff may post on an enterprise's behalf."""
    _can_act(actor, enterprise)
    if data.get("is_public_welfare") and is_employer_only(actor):
        raise ValidationError(
            {"is_public_welfare": _("Public-welfare posts are created by the county bureau.")}
        )
    values = _clean({k: v for k, v in data.items() if k in EDITABLE})
    values.setdefault("area_code", enterprise.area_code)
    if "headcount" not in values:
        raise ValidationError({"headcount": _("The headcount must be at least 1.")})
    posting = Posting.objects.create(enterprise=enterprise, created_by=actor, **values)
    audit_record(
        action=Action.CREATE,
        actor=actor,
        object_type="jobs.posting",
        object_id=posting.pk,
        changes={"enterprise": enterprise.pk, **_snapshot(posting, tuple(values))},
        request=request,
    )
    return posting


@transaction.atomic
def posting_update(
    *, actor: Any, posting: Posting, data: dict[str, Any], request: HttpRequest | None = None
) -> list[str]:
    """Change a posting. An employer's change to a published posting sends it back for review."""
    posting = Posting.objects.select_for_update().get(pk=posting.pk)
    _can_act(actor, posting.enterprise)
    if posting.status == PostingStatus.CLOSED:
        raise ValidationError(_("A closed posting cannot be changed; create a new one."))
    if data.get("is_public_welfare") and not posting.is_public_welfare and is_employer_only(actor):
        raise ValidationError(
            {"is_public_welfare": _("Public-welfare posts are created by the county bureau.")}
        )
    data = {k: v for k, v in data.items() if k in EDITABLE}
    if PAY_FIELDS & set(data):  # a partial change of pay is read against the rest of the current pay
        data = {**{f: getattr(posting, f) for f in PAY_FIELDS}, **data}
    values = _clean(data)
    before = _snapshot(posting, tuple(values))
    for key, value in values.items():
        setattr(posting, key, value)
    after = _snapshot(posting, tuple(values))
    changed = [k for k in values if before[k] != after[k]]
    if not changed:
        return []
    if posting.headcount < posting.filled_count:
        raise ValidationError({"headcount": _("The headcount is below the places already filled.")})
    extra: dict[str, Any] = {}
    if is_employer_only(actor) and posting.status in (PostingStatus.PUBLISHED, PostingStatus.PAUSED):
        posting.status = PostingStatus.SUBMITTED
        posting.submitted_at = timezone.now()
        extra["status"] = [PostingStatus.PUBLISHED, PostingStatus.SUBMITTED]
    posting.save()
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        object_type="jobs.posting",
        object_id=posting.pk,
        changes={**{k: [before[k], after[k]] for k in changed}, **extra},
        request=request,
    )
    transaction.on_commit(signature("matching.posting_changed", args=(posting.pk,)).delay)
    return changed


def _require_complete(posting: Posting) -> None:
    errors: dict[str, str] = {}
    if posting.occupation_id is None:
        errors["occupation"] = _("Choose the occupation before submitting, so matching can find people.")
    if posting.monthly_min is None:
        errors["wage_min"] = _("Give the pay before submitting; workers look at pay first.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def posting_transition(
    *,
    actor: Any,
    posting: Posting,
    to: str,
    note: str = "",
    request: HttpRequest | None = None,
) -> Posting:
    """Move a posting through its workflow. Publishing and returning a submission are reviews by staff."""
    posting = Posting.objects.select_for_update().select_related("enterprise").get(pk=posting.pk)
    _can_act(actor, posting.enterprise)
    current = posting.status
    if to not in TRANSITIONS.get(current, frozenset()):
        raise ValidationError(
            _("A posting that is “%(current)s” cannot become “%(to)s”.")
            % {
                "current": PostingStatus(current).label,
                "to": PostingStatus(to).label if to in PostingStatus.values else to,
            }
        )
    is_review = current == PostingStatus.SUBMITTED and to in (PostingStatus.PUBLISHED, PostingStatus.DRAFT)
    if (is_review or (to == PostingStatus.PUBLISHED and current == PostingStatus.FILLED)) and not actor.can(
        "postings.review"
    ):
        raise PermissionDenied(_("Only bureau staff review and publish postings."))
    if to == PostingStatus.PUBLISHED and is_employer_only(actor):
        raise PermissionDenied(_("Only bureau staff review and publish postings."))
    if is_review and to == PostingStatus.DRAFT and not note.strip():
        raise ValidationError({"note": _("Say what needs changing when returning a posting.")})
    now = timezone.now()
    if to == PostingStatus.SUBMITTED:
        _require_complete(posting)
        posting.submitted_at = now
    if to == PostingStatus.PUBLISHED:
        if posting.end_date and posting.end_date < timezone.localdate():
            raise ValidationError({"end_date": _("The end date has passed; extend it before publishing.")})
        if posting.open_places == 0:
            raise ValidationError({"headcount": _("Every place is filled; raise the headcount to reopen.")})
        posting.published_at = posting.published_at or now
    if is_review:
        posting.reviewed_by = actor
        posting.reviewed_at = now
        posting.review_note = note.strip()
    if to == PostingStatus.CLOSED:
        posting.closed_at = now
    posting.status = to
    posting.save()
    audit_record(
        action=Action.REVIEW if is_review else Action.STATUS,
        actor=actor,
        object_type="jobs.posting",
        object_id=posting.pk,
        changes={"status": [current, to], **({"note": note.strip()} if note.strip() else {})},
        request=request,
    )
    transaction.on_commit(signature("matching.posting_changed", args=(posting.pk,)).delay)
    return posting


@transaction.atomic
def posting_count_hire(*, posting: Posting, actor: Any, request: HttpRequest | None = None) -> Posting:
    """One more place filled (a referral ended in a hire). The last place marks a published posting filled."""
    Posting.objects.filter(pk=posting.pk).update(
        filled_count=F("filled_count") + 1, updated_at=timezone.now()
    )
    posting = Posting.objects.select_for_update().get(pk=posting.pk)
    if posting.filled_count >= posting.headcount and posting.status in (
        PostingStatus.PUBLISHED,
        PostingStatus.PAUSED,
    ):
        before = posting.status
        posting.status = PostingStatus.FILLED
        posting.save(update_fields=["status", "updated_at"])
        audit_record(
            action=Action.STATUS,
            actor=actor,
            object_type="jobs.posting",
            object_id=posting.pk,
            changes={"status": [before, PostingStatus.FILLED], "filled_count": posting.filled_count},
            request=request,
        )
    transaction.on_commit(signature("matching.posting_changed", args=(posting.pk,)).delay)
    return posting


def postings_close_expired(*, today: dt.date | None = None) -> int:
    """Close every open posting whose end date has passed; one audit event per posting."""
    today = today or timezone.localdate()
    closed = 0
    done: list[int] = []
    ids = list(
        Posting.objects.filter(status__in=OPEN_STATUSES, end_date__lt=today).values_list("pk", flat=True)
    )
    for pk in ids:
        with transaction.atomic():
            posting = Posting.objects.select_for_update().get(pk=pk)
            if posting.status not in OPEN_STATUSES:
                continue
            before = posting.status
            posting.status = PostingStatus.CLOSED
            posting.closed_at = timezone.now()
            posting.save(update_fields=["status", "closed_at", "updated_at"])
            audit_record(
                action=Action.STATUS,
                actor_username="system",
                object_type="jobs.posting",
                object_id=posting.pk,
                changes={"status": [before, PostingStatus.CLOSED], "expired": str(posting.end_date)},
            )
            done.append(posting.pk)
            closed += 1
    if done:  # one re-ranking for the whole batch, not one per posting
        signature("matching.postings_changed", args=(done,)).delay()
    return closed
