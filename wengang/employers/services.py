"""Every write on enterprises: create, update, key-enterprise designation.

Each service checks the actor's role and scope, validates and normalises the values the same way the
importer does (one set of checks, ``clean_enterprise_values``), writes the row and its audit event in one
transaction. Employers may change only their own enterprise's contact, address and size.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import uscc as stdnum_uscc

from wengang.accounts.scoping import code_in_scope
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.core.text import normalize_code, normalize_text
from wengang.regions.models import Region

from . import industries
from .models import Enterprise, KeyCategory, Size
from .selectors import enterprise_queryset, is_employer_only

# Fields an enterprise's own account may change; staff change every field below.
EMPLOYER_FIELDS = ("address", "size", "contact_name", "contact_phone")
STAFF_FIELDS = (
    "uscc",
    "name",
    "area_code",
    "address",
    "industry_division",
    "size",
    "contact_name",
    "contact_phone",
    "staff_count",
)
AREA_LEVELS = ("county", "township", "village")
_USCC_ALPHABET = set("0123456789ABCDEFGHJKLMNPQRTUWXY")
_PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ()转]{5,19}$")
MAX_LENGTHS = {"name": 200, "address": 200, "contact_name": 50, "contact_phone": 20}


def normalize_uscc(raw: object) -> str:
    """Half-width, upper-case, no spaces or hyphens: ``９１４１０３…`` / ``91410329ma…`` → ``91410329MA…``."""
    return normalize_code(raw).replace("-", "")


def uscc_problem(code: str) -> str | None:
    """Why ``code`` (already normalised) is not a valid credit code, in the user's language; None if valid."""
    if not code:
        return _("Required.")
    if len(code) != 18:
        return _("A unified social credit code has 18 characters; this one has %(n)d.") % {"n": len(code)}
    bad = sorted({ch for ch in code if ch not in _USCC_ALPHABET})
    if bad:
        return _(
            "Contains %(chars)s; a credit code uses digits and capital letters except I, O, Z, S and V."
        ) % {"chars": "、".join(bad)}
    if not code[:8].isdigit():
        return _("The first 8 characters must be digits (registering authority, entity type and area code).")
    if code[-1] != stdnum_uscc.calc_check_digit(code[:17]):
        return _("The check digit is wrong.")
    return None


def uscc_check(raw: object) -> str:
    """The normalised credit code, or a ValidationError on ``uscc`` saying what is wrong."""
    code = normalize_uscc(raw)
    problem = uscc_problem(code)
    if problem:
        raise ValidationError({"uscc": problem})
    return code


def uscc_duplicate(code: str, *, exclude_pk: int | None = None) -> Enterprise | None:
    qs = Enterprise.objects.filter(uscc=code)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.first()


def area_problem(actor: Any, code: str) -> str | None:
    """Why ``code`` cannot be an enterprise's area for ``actor``; None if it can."""
    if not code:
        return _("Required.")
    if not code.isdigit() or len(code) not in (6, 9, 12):
        return _("An area code has 6, 9 or 12 digits.")
    if not code_in_scope(actor, code):
        return _("The area %(code)s is outside your area.") % {"code": code}
    if not Region.objects.filter(code=code, level__in=AREA_LEVELS).exists():
        return _("No county, township or village has the code %(code)s.") % {"code": code}
    return None


def industry_problem(division: str) -> str | None:
    if division and not industries.section_of(division):
        return _("%(code)s is not a GB/T 4754 industry division (two digits, 01–97).") % {"code": division}
    return None


def clean_enterprise_values(actor: Any, data: dict[str, Any], *, fields: tuple[str, ...]) -> dict[str, Any]:
    """Normalise and check the given ``fields`` of ``data``; a ValidationError names every bad field."""
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in fields:
        if name not in data:
            continue
        value = data[name]
        if name == "uscc":
            code = normalize_uscc(value)
            problem = uscc_problem(code)
            if problem:
                errors[name] = problem
            out[name] = code
        elif name == "area_code":
            code = normalize_code(value)
            problem = area_problem(actor, code)
            if problem:
                errors[name] = problem
            out[name] = code
        elif name == "industry_division":
            division = normalize_code(value)
            problem = industry_problem(division)
            if problem:
                errors[name] = problem
            out[name] = division
            out["industry_section"] = industries.section_of(division) if division else ""
        elif name == "size":
            size = normalize_text(value)
            if size and size not in Size.values:
                errors[name] = _("Unknown enterprise size.")
            out[name] = size
        elif name == "staff_count":
            if value in (None, ""):
                out[name] = None
            else:
                try:
                    count = int(value)
                except (TypeError, ValueError):
                    count = -1
                if count < 0:
                    errors[name] = _("Enter a whole number of people, 0 or more.")
                out[name] = count
        else:
            text = normalize_text(value)
            if name == "contact_phone" and text and not _PHONE_RE.match(text):
                errors[name] = _("Enter a phone number: a mobile number or a landline such as 0379-65123456.")
            if len(text) > MAX_LENGTHS[name]:
                errors[name] = _("At most %(n)d characters.") % {"n": MAX_LENGTHS[name]}
            out[name] = text
    if "name" in out and not out["name"]:
        errors["name"] = _("Required.")
    if errors:
        raise ValidationError(errors)
    return out


def _duplicate_error(existing: Enterprise) -> ValidationError:
    return ValidationError(
        {
            "uscc": _("The credit code %(code)s is already registered to %(name)s.")
            % {"code": existing.uscc, "name": existing.name}
        }
    )


def _check_visible(actor: Any, enterprise: Enterprise) -> None:
    if not enterprise_queryset(actor).filter(pk=enterprise.pk).exists():
        raise PermissionDenied(_("This enterprise is outside your area."))


def enterprise_create(*, actor: Any, data: dict[str, Any], request: HttpRequest | None = None) -> Enterprise:
    """Register an enterprise (staff only) in the actor's area."""
    if not actor.can("enterprises.create") or is_employer_only(actor):
        raise PermissionDenied(_("Your roles do not allow registering enterprises."))
    values = clean_enterprise_values(
        actor, {"name": "", "area_code": "", "uscc": "", **data}, fields=STAFF_FIELDS
    )
    with transaction.atomic():
        existing = uscc_duplicate(values["uscc"])
        if existing is not None:
            raise _duplicate_error(existing)
        enterprise = Enterprise.objects.create(**values)
        audit_record(
            action=Action.CREATE,
            actor=actor,
            object_type="employers.enterprise",
            object_id=enterprise.pk,
            changes={k: v for k, v in values.items() if v not in ("", None)},
            request=request,
        )
    return enterprise


def enterprise_update(
    *, actor: Any, enterprise: Enterprise, data: dict[str, Any], request: HttpRequest | None = None
) -> list[str]:
    """Change an enterprise's profile; returns the names of the fields that changed (none: no audit row)."""
    if not actor.can("enterprises.edit"):
        raise PermissionDenied(_("Your roles do not allow editing enterprises."))
    _check_visible(actor, enterprise)
    employer = is_employer_only(actor)
    allowed = EMPLOYER_FIELDS if employer else STAFF_FIELDS
    values = clean_enterprise_values(actor, data, fields=STAFF_FIELDS)
    if employer:
        refused = [
            k
            for k, v in values.items()
            if k not in allowed and k != "industry_section" and getattr(enterprise, k) != v
        ]
        if refused:
            raise PermissionDenied(
                _(
                    "An enterprise account may change only the address, size and contact; "
                    "ask the bureau to change the rest."
                )
            )
    changes = {k: [getattr(enterprise, k), v] for k, v in values.items() if getattr(enterprise, k) != v}
    if not changes:
        return []
    with transaction.atomic():
        if "uscc" in changes:
            existing = uscc_duplicate(values["uscc"], exclude_pk=enterprise.pk)
            if existing is not None:
                raise _duplicate_error(existing)
        for k, (_old, new) in changes.items():
            setattr(enterprise, k, new)
        enterprise.save(update_fields=[*changes, "updated_at"])
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            object_type="employers.enterprise",
            object_id=enterprise.pk,
            changes=changes,
            request=request,
        )
    return sorted(changes)


def enterprise_designate(
    *, actor: Any, enterprise: Enterprise, category: str, request: HttpRequest | None = None
) -> bool:
    """Set (or with ``""`` remove) the key-enterprise category; records who decided and when."""
    if not actor.can("enterprises.designate"):
        raise PermissionDenied(_("Only the bureau's administrators designate key enterprises."))
    _check_visible(actor, enterprise)
    if category and category not in KeyCategory.values:
        raise ValidationError({"category": _("Unknown key-enterprise category.")})
    if category == enterprise.key_category:
        return False
    with transaction.atomic():
        old = enterprise.key_category
        enterprise.key_category = category
        enterprise.key_designated_by = actor
        enterprise.key_designated_at = timezone.now()
        enterprise.save(
            update_fields=["key_category", "key_designated_by", "key_designated_at", "updated_at"]
        )
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            object_type="employers.enterprise",
            object_id=enterprise.pk,
            changes={"key_category": [old, category]},
            reason="key-enterprise designation",
            request=request,
        )
    return True
