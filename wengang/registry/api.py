import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from wengang.api.perms import require
from wengang.audit.models import Action
from wengang.audit.services import audit_record

from .consent import consent_state
from .households import household_poverty_set
from .selectors import PersonFilters, household_list, person_list
from .services import EmploymentChange, household_update, person_create, person_update

router = Router(tags=["registry"])


class PersonFilterIn(Schema):
    area: str = ""
    status: str = ""
    poverty_category: str = ""
    three_without: str = ""
    intent: str = ""
    age_min: int | None = None
    age_max: int | None = None
    skill: str = ""
    certificate: str = ""
    updated_since: dt.date | None = None
    consent: str = ""
    returned_from: dt.date | None = None
    returned_to: dt.date | None = None
    q: str = ""


class EventOut(Schema):
    status: str
    occurred_on: dt.date
    source: str
    work_province: str
    work_city: str
    work_place: str
    employer_name: str
    monthly_income: int | None


class PersonOut(Schema):
    id: int
    name: str
    id_number: str
    gender: str
    birth_date: dt.date
    phone: str
    village_code: str
    household_id: int | None
    poverty_category: str | None
    status: str
    status_since: dt.date | None
    intent: str
    skills: list[str]
    certificates: list[str]
    is_three_without: bool
    return_date: dt.date | None
    consent: dict[str, bool]
    updated_at: dt.datetime

    @staticmethod
    def resolve_id_number(obj: Any) -> str:
        return str(obj.id_masked)

    @staticmethod
    def resolve_phone(obj: Any) -> str:
        return str(obj.phone_masked)

    @staticmethod
    def resolve_consent(obj: Any) -> dict[str, bool]:
        return consent_state(obj)

    @staticmethod
    def resolve_poverty_category(obj: Any) -> str | None:
        return obj.household.poverty_category if obj.household_id else None


class PersonDetailOut(PersonOut):
    employment_events: list[EventOut]

    @staticmethod
    def resolve_employment_events(obj: Any) -> list[Any]:
        return list(obj.employment_events.all()[:100])


@router.get("/persons", response=list[PersonOut])
@paginate(PageNumberPagination, page_size=100)
def persons(request: HttpRequest, filters: Query[PersonFilterIn]) -> Any:
    user = require(request, "registry.view")
    f = PersonFilters(**filters.dict())
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type="registry.person",
        request=request,
        changes={"list": True, "api": True, "filters": {k: str(v) for k, v in filters.dict().items() if v}},
    )
    return person_list(user=user, filters=f)


@router.get("/persons/{person_id}", response=PersonDetailOut)
def person(request: HttpRequest, person_id: int) -> Any:
    user = require(request, "registry.view")
    obj = get_object_or_404(person_list(user=user), pk=person_id)
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type="registry.person",
        object_id=obj.pk,
        request=request,
        changes={"api": True},
    )
    return obj


class EmploymentIn(Schema):
    status: str
    occurred_on: dt.date
    work_province: str = ""
    work_city: str = ""
    work_place: str = ""
    employer_name: str = ""
    monthly_income: int | None = None


class PersonIn(Schema):
    id_number: str
    name: str
    village_code: str
    phone: str = ""
    poverty_category: str = "general"
    household_id: int | None = None
    relation: str = ""
    education: str = ""
    health: str = "healthy"
    skills: list[str] = []
    certificates: list[str] = []
    is_three_without: bool = False
    notes: str = ""
    return_date: dt.date | None = None
    employment: EmploymentIn | None = None
    intent: str = ""
    intent_destination: str = ""


class PersonPatch(Schema):
    name: str | None = None
    village_code: str | None = None
    phone: str | None = None
    relation: str | None = None
    education: str | None = None
    health: str | None = None
    skills: list[str] | None = None
    certificates: list[str] | None = None
    is_three_without: bool | None = None
    notes: str | None = None
    return_date: dt.date | None = None
    employment: EmploymentIn | None = None
    intent: str | None = None
    intent_destination: str = ""


class ChangedOut(Schema):
    id: int
    changed: list[str]


class HouseholdOut(Schema):
    id: int
    village_code: str
    poverty_category: str
    poverty_set_on: dt.date | None
    head_id: int | None
    member_ids: list[int]

    @staticmethod
    def resolve_member_ids(obj: Any) -> list[int]:
        return [m.pk for m in obj.members.all()]


class HouseholdPatch(Schema):
    poverty_category: str
    effective_on: dt.date | None = None  # default today
    note: str = ""


@router.post("/persons", response={201: PersonDetailOut, 400: dict, 403: dict}, url_name="persons")
def person_create_api(request: HttpRequest, payload: PersonIn) -> Any:
    user = require(request, "registry.edit")
    data = payload.dict()
    employment = data.pop("employment")
    household_id = data.pop("household_id")
    household = None
    if household_id is not None:
        household = get_object_or_404(household_list(user=user), pk=household_id)
    person = person_create(
        actor=user,
        household=household,
        request=request,
        employment=EmploymentChange(**employment) if employment else None,
        **data,
    )
    return Status(201, person)


@router.patch("/persons/{person_id}", response={200: ChangedOut, 400: dict, 403: dict}, url_name="person")
def person_update_api(request: HttpRequest, person_id: int, payload: PersonPatch) -> Any:
    user = require(request, "registry.edit")
    person = get_object_or_404(person_list(user=user), pk=person_id)
    data = payload.dict(exclude_unset=True)
    employment = data.pop("employment", None)
    intent = data.pop("intent", None) or ""
    destination = data.pop("intent_destination", "")
    phone = data.pop("phone", None)
    changed = person_update(
        actor=user,
        person=person,
        phone=phone,
        intent=intent,
        intent_destination=destination,
        employment=EmploymentChange(**employment) if employment else None,
        request=request,
        **{k: v for k, v in data.items() if v is not None or k == "return_date"},
    )
    return Status(200, ChangedOut(id=person.pk, changed=changed))


@router.get("/persons/{person_id}/history", response=list[EventOut])
def person_history(request: HttpRequest, person_id: int) -> Any:
    user = require(request, "registry.view")
    person = get_object_or_404(person_list(user=user), pk=person_id)
    return list(person.employment_events.all())


@router.get("/households/{household_id}", response=HouseholdOut)
def household(request: HttpRequest, household_id: int) -> Any:
    user = require(request, "registry.view")
    return get_object_or_404(household_list(user=user), pk=household_id)


@router.patch(
    "/households/{household_id}", response={200: HouseholdOut, 400: dict, 403: dict}, url_name="household"
)
def household_update_api(request: HttpRequest, household_id: int, payload: HouseholdPatch) -> Any:
    user = require(request, "registry.edit")
    obj = get_object_or_404(household_list(user=user), pk=household_id)
    if payload.effective_on is None and not payload.note:
        household_update(
            actor=user, household=obj, poverty_category=payload.poverty_category, request=request
        )
    else:
        household_poverty_set(
            actor=user,
            household=obj,
            poverty_category=payload.poverty_category,
            effective_on=payload.effective_on or timezone.localdate(),
            note=payload.note,
            request=request,
        )
        obj.refresh_from_db()
    return Status(200, obj)
