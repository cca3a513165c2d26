"""The worker's own pages under /m/ (home, jobs, applications, messages, me, WeChat binding) and the staff
queue of correction requests.

The pages are for a worker account linked to its person: the matrix links its worker to the test person
(``_linked``), so each page is proven to open (200) or act (302) for them. Staff sessions are refused (403,
"log out first"); anonymous visitors go to /m/login/ (302).
"""

from __future__ import annotations

from tests.access import REGISTRY, Route

WORKER = {"worker"}


def _linked(ctx, role):
    """Link the matrix's worker account to the test person, as after their first login."""
    if role == "worker":
        user = ctx["people"]["worker"]
        user.person = ctx["person"]
        user.save(update_fields=["person"])
    return {}


def _posting(ctx, role):
    from wengang.employers.models import Enterprise
    from wengang.jobs.tests.factories import make_posting

    _linked(ctx, role)
    enterprise = Enterprise.objects.get(name="伊川测试企业")
    posting = enterprise.postings.filter(title="矩阵公开岗位").first() or make_posting(
        enterprise, title="矩阵公开岗位"
    )
    return {"pk": posting.pk}


def _application(ctx, role):
    from wengang.jobs.models import Referral

    posting = _posting(ctx, role)["pk"]
    referral, _ = Referral.objects.get_or_create(
        person=ctx["person"], posting_id=posting, defaults={"source": "self", "state": "recommended"}
    )
    return {"pk": referral.pk}


def _message(ctx, role):
    from wengang.outreach.models import Message

    _linked(ctx, role)
    message, _ = Message.objects.get_or_create(
        idempotency_key=f"matrix-app-{ctx['person'].pk}",
        defaults={"channel": "app", "state": "delivered", "person": ctx["person"], "body": "矩阵消息"},
    )
    return {"pk": message.pk}


def _correction(ctx, role):
    from wengang.workers.models import CorrectionRequest

    person = ctx["person"]
    row, _ = CorrectionRequest.objects.get_or_create(
        person=person, field="name", defaults={"text": "矩阵更正", "area_code": person.village_code}
    )
    return {"pk": row.pk}


ROUTES: dict[str, Route] = {
    "workers:home": Route(allowed=WORKER, kwargs=_linked),
    "workers:jobs": Route(allowed=WORKER, kwargs=_linked),
    "workers:job_detail": Route(allowed=WORKER, kwargs=_posting),
    # Bare POSTs: applying (no note needed) and "not interested" act and go on (302).
    "workers:job_apply": Route(method="POST", allowed=WORKER, ok=302, kwargs=_posting),
    "workers:job_dismiss": Route(method="POST", allowed=WORKER, ok=302, kwargs=_posting),
    "workers:applications": Route(allowed=WORKER, kwargs=_linked),
    "workers:application_detail": Route(allowed=WORKER, kwargs=_application),
    "workers:application_withdraw": Route(method="POST", allowed=WORKER, ok=302, kwargs=_application),
    "workers:messages": Route(allowed=WORKER, kwargs=_linked),
    "workers:message_detail": Route(allowed=WORKER, kwargs=_message),
    "workers:me": Route(allowed=WORKER, kwargs=_linked),
    "workers:me_status": Route(allowed=WORKER, kwargs=_linked),
    "workers:me_skills": Route(allowed=WORKER, kwargs=_linked),
    "workers:me_correction": Route(allowed=WORKER, kwargs=_linked),
    # A bare POST names no channel: nothing changes, back to the page with the error (302).
    "workers:me_consent": Route(method="POST", allowed=WORKER, ok=302, kwargs=_linked),
    "workers:wechat_bind": Route(allowed=WORKER, kwargs=_linked),
    "workers:correction_list": Route(allowed=REGISTRY),
    "workers:correction_detail": Route(allowed=REGISTRY, kwargs=_correction),
    # A bare POST has no decision: the page shows again with the errors.
    "workers:correction_handle": Route(method="POST", allowed=REGISTRY, kwargs=_correction),
}
