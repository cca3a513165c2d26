"""The root JSON API, version 1: one router per app, OpenAPI at /api/v1/docs and /api/v1/openapi.json."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError

from wengang.accounts.api import router as accounts_router
from wengang.audit.api import router as audit_router
from wengang.background.api import router as background_router
from wengang.employers.api import router as employers_router
from wengang.jobs.api import router as jobs_router
from wengang.jobs.referral_api import router as referrals_router
from wengang.portal.api import router as public_router
from wengang.regions.api import router as regions_router
from wengang.registry.api import router as registry_router

from .auth import AUTH, staff_docs

api = NinjaAPI(
    title="Wengang API",
    version="1",
    description=(
        "稳岗平台 JSON API. Authenticate with `Authorization: Bearer <token>` (see `wengang token-create`)."
    ),
    auth=AUTH,
    urls_namespace="api",
    docs_decorator=staff_docs,
)


class ErrorOut(Schema):
    detail: str


@api.exception_handler(ValidationError)
def service_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """A service refused the input: 400 with the messages, per field where the service named one."""
    detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
    return api.create_response(request, {"detail": detail}, status=400)


@api.exception_handler(PermissionDenied)
def service_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    """A service refused the actor (scope, role): 403 with its reason."""
    return api.create_response(
        request, {"detail": str(exc) or _("Your roles do not allow this.")}, status=403
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message}, status=exc.status_code)


api.add_router("/accounts", accounts_router)
api.add_router("/regions", regions_router)
api.add_router("/registry", registry_router)
api.add_router("/registry", "wengang.registry.household_api.router")  # households, members, consent
api.add_router("/enterprises", employers_router)
api.add_router("/postings", jobs_router)
api.add_router("/referrals", referrals_router)
api.add_router("/assistance", "wengang.assistance.api.router")  # the 131 service
api.add_router("/matching", "wengang.matching.api.router")  # match runs, recommendations
api.add_router("/training", "wengang.training.api.router")
api.add_router("/welfare", "wengang.jobs.welfare_api.router")
api.add_router("/outreach", "wengang.outreach.api.router")  # campaigns, segments, templates, messages
api.add_router("/outreach", "wengang.outreach.call_api.router")  # the phone-call list
api.add_router("/me", "wengang.workers.api.router")  # the worker's own API (worker session only)
api.add_router("/public", public_router)
api.add_router("/audit", audit_router)
api.add_router("/tasks", background_router)
