"""Registry API, households and consent: mounted beside ``registry.api`` under ``/api/v1/registry``.

Routes parse, call one selector or service, and return a schema. Reads go through the scope selectors, so an
out-of-scope household or person is a 404; service refusals map to 400 (ValidationError) and 403.
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from wengang.api.perms import require
from wengang.audit.models import Action
from wengang.audit.services import audit_record

from .consent import consent_record
from .households import household_create, household_member_add, household_member_remove
from .models import Household, Person
from .selectors import household_list, household_members, person_list

router = Router(tags=["registry"])


class MemberOut(Schema):
    id: int
    name: str
    id_number: str
    relation: str
    village_code: str
    is_head: bool

    @staticmethod
    def resolve_id_number(obj: Any) -> str:
        return str(obj.id_masked)

    @staticmethod
    def resolve_is_head(obj: Any) -> bool:
        return bool(obj.household_id and obj.household.head_id == obj.pk)


class PovertyChangeOut(Schema):
    category_from: str
    category_to: str
    effective_on: dt.date
    note: str
    recorded_at: dt.datetime


class HouseholdSummaryOut(Schema):
    id: int
    village_code: str
    poverty_category: str
    poverty_set_on: dt.date | None
    head_id: int | None


class HouseholdDetailOut(HouseholdSummaryOut):
    members: list[MemberOut]
    poverty_history: list[PovertyChangeOut]


class HouseholdIn(Schema):
    person_id: int
    poverty_category: str = "general"
    effective_on: dt.date | None = None


class MemberIn(Schema):
    person_id: int
    relation: str
    move_village: bool = False


class ConsentIn(Schema):
    channel: str
    granted: bool
    source: str = "staff"
    note: str = ""


class ConsentOut(Schema):
    channel: str
    granted: bool
    recorded_at: dt.datetime
    source: str
    note: str


def _detail(user: Any, household: Household) -> dict[str, Any]:
    """The household with the members the user may see; the route's schema serialises it."""
    return {
        "id": household.pk,
        "village_code": household.village_code,
        "poverty_category": household.poverty_category,
        "poverty_set_on": household.poverty_set_on,
        "head_id": household.head_id,
        "members": list(household_members(user=user, household=household).select_related("household")),
        "poverty_history": list(household.poverty_changes.all()[:100]),
    }


def _audit_view(
    user: Any, request: HttpRequest, object_type: str, object_id: Any = "", **changes: Any
) -> None:
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type=object_type,
        object_id=object_id,
        request=request,
        changes={"api": True, **changes},
    )


@router.get("/households", response=list[HouseholdSummaryOut])
@paginate(PageNumberPagination, page_size=100)
def households(request: HttpRequest) -> Any:
    user = require(request, "registry.view")
    _audit_view(user, request, "registry.household", list=True)
    return household_list(user=user).order_by("village_code", "id")


@router.post("/households", response={201: HouseholdDetailOut, 400: dict, 403: dict}, url_name="households")
def household_create_api(request: HttpRequest, payload: HouseholdIn) -> Any:
    """Open a household for a registered person who has none; they become its head."""
    user = require(request, "registry.edit")
    person = get_object_or_404(person_list(user=user), pk=payload.person_id)
    household = household_create(
        actor=user,
        person=person,
        poverty_category=payload.poverty_category,
        effective_on=payload.effective_on,
        request=request,
    )
    return Status(201, _detail(user, household))


@router.get("/households/{household_id}/members", response=HouseholdDetailOut)
def household_members_api(request: HttpRequest, household_id: int) -> Any:
    user = require(request, "registry.view")
    household = get_object_or_404(household_list(user=user), pk=household_id)
    _audit_view(user, request, "registry.household", household.pk)
    return _detail(user, household)


@router.post(
    "/households/{household_id}/members",
    response={201: HouseholdDetailOut, 400: dict, 403: dict},
    url_name="household_members_api",
)
def household_member_add_api(request: HttpRequest, household_id: int, payload: MemberIn) -> Any:
    user = require(request, "registry.edit")
    household = get_object_or_404(household_list(user=user), pk=household_id)
    person = get_object_or_404(person_list(user=user), pk=payload.person_id)
    household_member_add(
        actor=user,
        household=household,
        person=person,
        relation=payload.relation,
        move_village=payload.move_village,
        request=request,
    )
    household.refresh_from_db()
    return Status(201, _detail(user, household))


def _member(user: Any, household_id: int, person_id: int) -> tuple[Household, Person]:
    household = get_object_or_404(household_list(user=user), pk=household_id)
    person = get_object_or_404(person_list(user=user).filter(household_id=household.pk), pk=person_id)
    return household, person


@router.get("/households/{household_id}/members/{person_id}", response=MemberOut)
def household_member_api(request: HttpRequest, household_id: int, person_id: int) -> Any:
    user = require(request, "registry.view")
    _household, person = _member(user, household_id, person_id)
    _audit_view(user, request, "registry.person", person.pk, household=household_id)
    return person


@router.delete(
    "/households/{household_id}/members/{person_id}",
    response={204: None, 400: dict, 403: dict},
    url_name="household_member_api",
)
def household_member_remove_api(request: HttpRequest, household_id: int, person_id: int) -> Any:
    """Take the person out of the household; they stay registered without one."""
    user = require(request, "registry.edit")
    household, person = _member(user, household_id, person_id)
    household_member_remove(actor=user, household=household, person=person, request=request)
    return Status(204, None)


@router.get("/persons/{person_id}/consents", response=list[ConsentOut])
def person_consents_api(request: HttpRequest, person_id: int) -> Any:
    user = require(request, "registry.view")
    person = get_object_or_404(person_list(user=user), pk=person_id)
    _audit_view(user, request, "registry.person", person.pk, consents=True)
    return list(person.consents.all()[:200])


@router.post(
    "/persons/{person_id}/consents",
    response={201: ConsentOut, 400: dict, 403: dict},
    url_name="person_consents_api",
)
def person_consent_record_api(request: HttpRequest, person_id: int, payload: ConsentIn) -> Any:
    """Grant or withdraw consent to pushes on one channel (sms, wechat, app, phone); in force at once."""
    user = require(request, "registry.edit")
    person = get_object_or_404(person_list(user=user), pk=person_id)
    row = consent_record(
        actor=user,
        person=person,
        channel=payload.channel,
        granted=payload.granted,
        source=payload.source,
        note=payload.note,
        request=request,
    )
    return Status(201, row)
