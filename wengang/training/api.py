"""Training routes: programmes (list, one, create), enrolments (list, one, enrol, record attendance and
completion, move the subsidy claim on), subsidy totals by state, and the skill-gap suggestions of a person.

Scoped exactly as the pages (a programme outside the user's area or an enrolment of a person they do not see
is 404); bodies are read after the role and scope checks; every call writes an audit event (the services
audit the writes)."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from wengang.api.perms import body_schema, read_body, require
from wengang.audit.models import Action
from wengang.audit.services import audit_record
from wengang.employers.selectors import enterprise_queryset
from wengang.jobs.models import Occupation
from wengang.registry.selectors import person_list

from . import services
from .choices import HOLDS_PLACE, SubsidyState
from .models import Enrolment
from .selectors import ProgrammeFilters, enrolment_queryset, programme_list, programme_queryset
from .suggestions import training_suggestions

router = Router(tags=["training"])


def _audit_view(request: HttpRequest, user: Any, object_type: str, pk: Any = None, **changes: Any) -> None:
    audit_record(
        action=Action.VIEW,
        actor=user,
        object_type=object_type,
        object_id=pk,
        request=request,
        changes=changes,
    )


# --- programmes -----------------------------------------------------------------------------------------


class ProgrammeFilterIn(Schema):
    status: str = ""
    area: str = ""
    occupation: str = ""
    on_the_job: str = ""
    q: str = ""


class ProgrammeOut(Schema):
    id: int
    name: str
    provider: str
    occupation_code: str
    occupation_name: str
    area_code: str
    address: str
    start_date: dt.date
    end_date: dt.date
    places: int
    places_taken: int
    places_left: int
    cost_per_person: Decimal
    subsidy_per_person: Decimal
    is_on_the_job: bool
    enterprise_id: int | None
    status: str

    @staticmethod
    def resolve_occupation_code(obj: Any) -> str:
        return str(obj.occupation_id or "")

    @staticmethod
    def resolve_occupation_name(obj: Any) -> str:
        return str(obj.occupation.name) if obj.occupation_id else ""

    @staticmethod
    def resolve_places_taken(obj: Any) -> int:
        return int(obj.taken)

    @staticmethod
    def resolve_places_left(obj: Any) -> int:
        return max(0, int(obj.places) - int(obj.taken))


class ProgrammeIn(Schema):
    name: str
    provider: str
    area_code: str
    start_date: dt.date
    end_date: dt.date
    places: int
    occupation_code: str = ""
    address: str = ""
    cost_per_person: Decimal = Decimal(0)
    subsidy_per_person: Decimal = Decimal(0)
    is_on_the_job: bool = False
    enterprise_id: int | None = None
    status: str = "planned"


def _programmes(user: Any) -> Any:
    taken = Count("enrolments", filter=Q(enrolments__status__in=HOLDS_PLACE))
    return programme_queryset(user).select_related("occupation").annotate(taken=taken)


@router.get("/programmes", response=list[ProgrammeOut], url_name="training_programmes")
@paginate(PageNumberPagination, page_size=50)
def programmes(request: HttpRequest, filters: Query[ProgrammeFilterIn]) -> Any:
    user = require(request, "training.view")
    f = ProgrammeFilters(
        status=filters.status,
        area=filters.area.strip(),
        occupation=filters.occupation.strip(),
        on_the_job=filters.on_the_job,
        q=filters.q.strip(),
    )
    described = {k: v for k, v in filters.dict().items() if v}
    _audit_view(request, user, "training.programme", list=True, api=True, filters=described)
    return programme_list(user=user, filters=f)


@router.post(
    "/programmes",
    response={201: ProgrammeOut, 400: dict, 403: dict},
    url_name="training_programmes",
    openapi_extra=body_schema(ProgrammeIn),
)
def programme_new(request: HttpRequest) -> Any:
    """Create a programme held in the user's area (a county or township code)."""
    user = require(request, "training.edit")
    p = read_body(request, ProgrammeIn)
    occupation = None
    if p.occupation_code:
        occupation = Occupation.objects.filter(pk=p.occupation_code).first()
        if occupation is None:
            raise HttpError(400, _("Unknown occupation code %(code)s.") % {"code": p.occupation_code})
    enterprise = None
    if p.enterprise_id is not None:
        enterprise = enterprise_queryset(user).filter(pk=p.enterprise_id).first()
        if enterprise is None:
            raise HttpError(400, _("No enterprise %(id)s in your area.") % {"id": p.enterprise_id})
    created = services.programme_create(
        actor=user,
        name=p.name,
        provider=p.provider,
        area_code=p.area_code.strip(),
        start_date=p.start_date,
        end_date=p.end_date,
        places=p.places,
        occupation=occupation,
        address=p.address,
        cost_per_person=p.cost_per_person,
        subsidy_per_person=p.subsidy_per_person,
        is_on_the_job=p.is_on_the_job,
        enterprise=enterprise,
        status=p.status,
        request=request,
    )
    return Status(201, _programmes(user).get(pk=created.pk))


@router.get("/programmes/{programme_id}", response=ProgrammeOut, url_name="training_programme")
def programme(request: HttpRequest, programme_id: int) -> Any:
    user = require(request, "training.view")
    found = get_object_or_404(_programmes(user), pk=programme_id)
    _audit_view(request, user, "training.programme", found.pk, api=True)
    return found


# --- enrolments -----------------------------------------------------------------------------------------


class EnrolmentFilterIn(Schema):
    programme_id: int | None = None
    person_id: int | None = None
    status: str = ""
    subsidy_state: str = ""


class EnrolmentOut(Schema):
    id: int
    programme_id: int
    programme_name: str
    person_id: int
    person_name: str
    id_number: str
    enrolled_on: dt.date
    status: str
    attendance_days: int
    completed_on: dt.date | None
    certificate: str
    subsidy_state: str
    subsidy_amount: Decimal | None

    @staticmethod
    def resolve_programme_name(obj: Any) -> str:
        return str(obj.programme.name)

    @staticmethod
    def resolve_person_name(obj: Any) -> str:
        return str(obj.person.name)

    @staticmethod
    def resolve_id_number(obj: Any) -> str:
        return str(obj.person.id_masked)


class EnrolIn(Schema):
    programme_id: int
    person_id: int
    enrolled_on: dt.date | None = None


class RecordIn(Schema):
    status: str
    attendance_days: int = 0
    completed_on: dt.date | None = None
    certificate: str = ""


class SubsidyIn(Schema):
    state: str
    amount: Decimal | None = None


def _enrolment(user: Any, enrolment_id: int) -> Enrolment:
    return get_object_or_404(enrolment_queryset(user), pk=enrolment_id)


@router.get("/enrolments", response=list[EnrolmentOut], url_name="training_enrolments")
@paginate(PageNumberPagination, page_size=100)
def enrolments(request: HttpRequest, filters: Query[EnrolmentFilterIn]) -> Any:
    user = require(request, "training.view")
    qs = enrolment_queryset(user)
    if filters.programme_id:
        qs = qs.filter(programme_id=filters.programme_id)
    if filters.person_id:
        qs = qs.filter(person_id=filters.person_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.subsidy_state:
        qs = qs.filter(subsidy_state=filters.subsidy_state)
    described = {k: str(v) for k, v in filters.dict().items() if v not in (None, "")}
    _audit_view(request, user, "training.enrolment", list=True, api=True, filters=described)
    return qs.order_by("-enrolled_on", "-id")


@router.post(
    "/enrolments",
    response={201: EnrolmentOut, 400: dict, 403: dict, 404: dict},
    url_name="training_enrolments",
    openapi_extra=body_schema(EnrolIn),
)
def enrol(request: HttpRequest) -> Any:
    """Enrol a person the user sees on a programme the user sees, if a place is free."""
    user = require(request, "training.edit")
    p = read_body(request, EnrolIn)
    found = get_object_or_404(programme_queryset(user), pk=p.programme_id)
    person = get_object_or_404(person_list(user=user), pk=p.person_id)
    created = services.enrol(
        actor=user, programme=found, person=person, enrolled_on=p.enrolled_on, request=request
    )
    return Status(201, _enrolment(user, created.pk))


@router.get("/enrolments/{enrolment_id}", response=EnrolmentOut, url_name="training_enrolment")
def enrolment(request: HttpRequest, enrolment_id: int) -> Any:
    user = require(request, "training.view")
    found = _enrolment(user, enrolment_id)
    _audit_view(request, user, "training.enrolment", found.pk, api=True)
    return found


@router.post(
    "/enrolments/{enrolment_id}/record",
    response={200: EnrolmentOut, 400: dict, 403: dict, 404: dict},
    url_name="training_enrolment_record",
    openapi_extra=body_schema(RecordIn),
)
def enrolment_transition(request: HttpRequest, enrolment_id: int) -> Any:
    """Attendance, completion (with the certificate obtained) or dropping out:
    ``{"status": "enrolled|attending|completed|dropped", "attendance_days": 5, ...}``."""
    user = require(request, "training.edit")
    found = _enrolment(user, enrolment_id)
    p = read_body(request, RecordIn)
    services.enrolment_record(
        actor=user,
        enrolment=found,
        status=p.status,
        attendance_days=p.attendance_days,
        completed_on=p.completed_on,
        certificate=p.certificate,
        request=request,
    )
    return _enrolment(user, enrolment_id)


@router.post(
    "/enrolments/{enrolment_id}/subsidy",
    response={200: EnrolmentOut, 400: dict, 403: dict, 404: dict},
    url_name="training_enrolment_subsidy",
    openapi_extra=body_schema(SubsidyIn),
)
def enrolment_subsidy(request: HttpRequest, enrolment_id: int) -> Any:
    """Move the subsidy claim on: ``{"state": "claimed|approved|refused|paid", "amount": "1500"}``."""
    user = require(request, "training.edit")
    found = _enrolment(user, enrolment_id)
    p = read_body(request, SubsidyIn)
    services.subsidy_transition(actor=user, enrolment=found, state=p.state, amount=p.amount, request=request)
    return _enrolment(user, enrolment_id)


class SubsidyStateOut(Schema):
    state: str
    label: str
    enrolments: int
    amount: Decimal


@router.get("/subsidies", response=list[SubsidyStateOut], url_name="training_subsidies")
def subsidies(request: HttpRequest, programme_id: int | None = None, area: str = "") -> Any:
    """Subsidy claims (职业技能培训补贴) by state over the enrolments the user sees: how many, how much."""
    user = require(request, "training.view")
    qs = enrolment_queryset(user)
    if programme_id:
        qs = qs.filter(programme_id=programme_id)
    if area.strip():
        qs = qs.filter(person__village_code__startswith=area.strip())
    rows = {
        state: (n, amount)
        for state, n, amount in qs.order_by()
        .values("subsidy_state")
        .annotate(n=Count("id"), amount=Sum("subsidy_amount"))
        .values_list("subsidy_state", "n", "amount")
    }
    _audit_view(request, user, "training.enrolment", subsidies=True, api=True)
    return [
        {
            "state": state.value,
            "label": str(state.label),
            "enrolments": rows.get(state.value, (0, None))[0],
            "amount": rows.get(state.value, (0, None))[1] or Decimal(0),
        }
        for state in SubsidyState
    ]


# --- skill gap → training -------------------------------------------------------------------------------


class SuggestionOut(Schema):
    programme: ProgrammeOut
    certificates: list[str]
    posting_ids: list[int]


@router.get("/suggestions/{person_id}", response=list[SuggestionOut], url_name="training_suggestions")
def suggestions(request: HttpRequest, person_id: int) -> Any:
    """Programmes that lead to the certificate the person's best matching postings require and they lack."""
    user = require(request, "training.view")
    person = get_object_or_404(person_list(user=user), pk=person_id)
    found = training_suggestions(person=person, user=user)
    _audit_view(request, user, "registry.person", person.pk, training_suggestions=len(found), api=True)
    by_pk = {p.pk: p for p in _programmes(user).filter(pk__in=[s.programme.pk for s in found])}
    return [
        {
            "programme": by_pk[s.programme.pk],
            "certificates": list(s.certificates),
            "posting_ids": [p.pk for p in s.postings],
        }
        for s in found
        if s.programme.pk in by_pk
    ]
