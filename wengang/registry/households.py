"""Every write on households (户): creating one for a person, members and their relation to the head, the
head, removal, and the dated poverty category with its history.

Rules kept here, for pages and API alike: a household has one head (``Household.head``, the only member whose
relation is ``head``); a person belongs to at most one household; a member lives in the household's village
unless the caller asks to move them there. Each service checks the actor's scope over the household and the
person, locks the household row, changes the rows, and writes the audit event in one transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from wengang.accounts.scoping import code_in_scope
from wengang.audit.models import Action
from wengang.audit.services import audit_record

from .choices import PovertyCategory, Relation
from .models import Household, Person, PovertyCategoryChange


def _check(actor: Any, *codes: str) -> None:
    if not actor.can("registry.edit"):
        raise PermissionDenied(_("Your roles do not allow editing the registry."))
    for code in codes:
        if not code_in_scope(actor, code):
            raise PermissionDenied(_("The village %(code)s is outside your area.") % {"code": code})


def _audit(actor: Any, household: Household, request: HttpRequest | None, **changes: Any) -> None:
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        object_type="registry.household",
        object_id=household.pk,
        request=request,
        changes=changes,
    )


def _locked(household: Household) -> Household:
    return Household.objects.select_for_update().get(pk=household.pk)


def _member(household: Household, person: Person) -> Person:
    try:
        return Person.objects.select_for_update().get(pk=person.pk, household_id=household.pk)
    except Person.DoesNotExist:
        raise ValidationError(
            {"person": _("%(name)s is not a member of this household.") % {"name": person.name}}
        ) from None


def _check_relation(relation: str) -> None:
    if relation not in Relation.values:
        raise ValidationError({"relation": _("Unknown relation to the household head.")})
    if relation == Relation.HEAD:
        raise ValidationError(
            {"relation": _("A household has one head; use “make head” to change who it is.")}
        )


def _check_category(category: str, effective_on: dt.date) -> None:
    if category not in PovertyCategory.values:
        raise ValidationError({"poverty_category": _("Unknown household type.")})
    if effective_on > timezone.localdate():
        raise ValidationError({"effective_on": _("The effective date cannot be later than today.")})
    if effective_on < dt.date(2000, 1, 1):
        raise ValidationError({"effective_on": _("The effective date is before 2000; check the year.")})


def household_create(
    *,
    actor: Any,
    person: Person,
    poverty_category: str = PovertyCategory.GENERAL,
    effective_on: dt.date | None = None,
    request: HttpRequest | None = None,
) -> Household:
    """Open a household in the person's village with them as its head. The person must have none."""
    _check(actor, person.village_code)
    effective_on = effective_on or timezone.localdate()
    _check_category(poverty_category, effective_on)
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        if locked.household_id is not None:
            raise ValidationError(
                {
                    "person": _("%(name)s already belongs to a household; remove them from it first.")
                    % {"name": locked.name}
                }
            )
        household = Household.objects.create(
            village_code=locked.village_code,
            head=locked,
            poverty_category=poverty_category,
            poverty_set_on=effective_on,
        )
        PovertyCategoryChange.objects.create(
            household=household,
            category_from="",
            category_to=poverty_category,
            effective_on=effective_on,
            recorded_by=_user(actor),
        )
        locked.household, locked.relation = household, Relation.HEAD
        locked.save(update_fields=["household", "relation", "updated_at"])
        person.household, person.relation = household, Relation.HEAD
        audit_record(
            action=Action.CREATE,
            actor=actor,
            object_type="registry.household",
            object_id=household.pk,
            request=request,
            changes={
                "head": locked.pk,
                "village_code": household.village_code,
                "poverty_category": poverty_category,
            },
        )
    return household


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def household_member_add(
    *,
    actor: Any,
    household: Household,
    person: Person,
    relation: str,
    move_village: bool = False,
    request: HttpRequest | None = None,
) -> Person:
    """Add a registered person to the household with their relation to the head.

    A person who already belongs to a household with other members must be removed from it first; one who
    is alone in their household leaves it (the empty household is closed). A person from another village
    joins only with ``move_village``, which moves their village to the household's.
    """
    _check(actor, household.village_code, person.village_code)
    _check_relation(relation)
    with transaction.atomic():
        household = _locked(household)
        member = Person.objects.select_for_update().get(pk=person.pk)
        if member.household_id == household.pk:
            raise ValidationError(
                {"person": _("%(name)s is already a member of this household.") % {"name": member.name}}
            )
        old: Household | None = None
        if member.household_id is not None:
            old = _locked(Household(pk=member.household_id))
            if old.members.exclude(pk=member.pk).exists():
                raise ValidationError(
                    {
                        "person": _(
                            "%(name)s is a member of another household with other members; remove them "
                            "from it first (a person belongs to one household)."
                        )
                        % {"name": member.name}
                    }
                )
        changes: dict[str, Any] = {"member_added": member.pk, "relation": relation}
        if member.village_code != household.village_code:
            if not move_village:
                raise ValidationError(
                    {
                        "move_village": _(
                            "%(name)s lives in village %(theirs)s, not in the household's village "
                            "%(ours)s; tick “move to the household's village” to move them."
                        )
                        % {"name": member.name, "theirs": member.village_code, "ours": household.village_code}
                    }
                )
            changes["village_code"] = [member.village_code, household.village_code]
            member.village_code = household.village_code
        member.household, member.relation = household, relation
        member.save(update_fields=["household", "relation", "village_code", "updated_at"])
        if old is not None:
            changes["closed_household"] = old.pk
            _close(actor, old, request, reason="member moved", moved_to=household.pk)
        _audit(actor, household, request, **changes)
    person.household, person.relation, person.village_code = household, relation, member.village_code
    return member


def _close(actor: Any, household: Household, request: HttpRequest | None, **why: Any) -> None:
    """Delete a household that no longer has members (its type history goes with it; the audit keeps it)."""
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        object_type="registry.household",
        object_id=household.pk,
        request=request,
        changes={"closed": True, "poverty_category": household.poverty_category, **why},
    )
    household.delete()


def household_member_relation(
    *,
    actor: Any,
    household: Household,
    person: Person,
    relation: str,
    request: HttpRequest | None = None,
) -> bool:
    """Change a member's relation to the head; returns whether it changed. The head's own relation is
    changed only by making someone else the head."""
    _check(actor, household.village_code)
    _check_relation(relation)
    with transaction.atomic():
        household = _locked(household)
        member = _member(household, person)
        if household.head_id == member.pk:
            raise ValidationError(
                {
                    "relation": _("%(name)s is the household head; make another member the head first.")
                    % {"name": member.name}
                }
            )
        if member.relation == relation:
            return False
        before = member.relation
        member.relation = relation
        member.save(update_fields=["relation", "updated_at"])
        _audit(actor, household, request, member=member.pk, relation=[before, relation])
    person.relation = relation
    return True


def household_head_set(
    *,
    actor: Any,
    household: Household,
    person: Person,
    former_head_relation: str = Relation.OTHER,
    request: HttpRequest | None = None,
) -> bool:
    """Make a member the head; the former head stays a member with ``former_head_relation``."""
    _check(actor, household.village_code)
    _check_relation(former_head_relation)
    with transaction.atomic():
        household = _locked(household)
        member = _member(household, person)
        if household.head_id == member.pk:
            return False
        former = household.head_id
        if former is not None:
            Person.objects.filter(pk=former, household_id=household.pk).update(
                relation=former_head_relation, updated_at=timezone.now()
            )
        # Anyone else still marked as head (an old import) loses the mark: one head per household.
        Person.objects.filter(household_id=household.pk, relation=Relation.HEAD).exclude(
            pk__in=[member.pk, former or 0]
        ).update(relation=Relation.OTHER, updated_at=timezone.now())
        member.relation = Relation.HEAD
        member.save(update_fields=["relation", "updated_at"])
        household.head = member
        household.save(update_fields=["head", "updated_at"])
        _audit(actor, household, request, head=[former, member.pk], former_head_relation=former_head_relation)
    person.relation = Relation.HEAD
    return True


def household_member_remove(
    *, actor: Any, household: Household, person: Person, request: HttpRequest | None = None
) -> None:
    """Take a member out of the household; they stay registered, without a household.

    The head can leave only as the last member (the household is then closed): otherwise make another member
    the head first.
    """
    _check(actor, household.village_code)
    with transaction.atomic():
        household = _locked(household)
        member = _member(household, person)
        others = household.members.exclude(pk=member.pk).exists()
        if household.head_id == member.pk and others:
            raise ValidationError(
                {
                    "person": _("%(name)s is the household head; make another member the head first.")
                    % {"name": member.name}
                }
            )
        member.household, member.relation = None, ""
        member.save(update_fields=["household", "relation", "updated_at"])
        _audit(actor, household, request, member_removed=member.pk)
        if not others:
            _close(actor, household, request, reason="last member removed")
    person.household, person.relation = None, ""


def household_poverty_set(
    *,
    actor: Any,
    household: Household,
    poverty_category: str,
    effective_on: dt.date,
    note: str = "",
    request: HttpRequest | None = None,
) -> PovertyCategoryChange | None:
    """Record the household's poverty category from ``effective_on``; None when it repeats the current one.

    The category in force is the latest recorded change by effective date; a change dated before another
    recorded one joins the history without replacing it. (The type a ledger import or registration set has
    no history row, so a back-dated determination replaces it.)
    """
    _check(actor, household.village_code)
    _check_category(poverty_category, effective_on)
    note = (note or "").strip()[:200]
    with transaction.atomic():
        household = _locked(household)
        if household.poverty_category == poverty_category:
            return None
        before = household.poverty_category
        current = not household.poverty_changes.filter(effective_on__gt=effective_on).exists()
        change = PovertyCategoryChange.objects.create(
            household=household,
            category_from=before,
            category_to=poverty_category,
            effective_on=effective_on,
            note=note,
            recorded_by=_user(actor),
        )
        if current:
            household.poverty_category = poverty_category
            household.poverty_set_on = effective_on
            household.save(update_fields=["poverty_category", "poverty_set_on", "updated_at"])
        _audit(
            actor,
            household,
            request,
            poverty_category=[before, poverty_category],
            effective_on=effective_on.isoformat(),
            **({"note": note} if note else {}),
        )
    return change
