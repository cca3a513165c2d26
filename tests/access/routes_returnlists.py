"""Returning-worker list pages: employers see their own enterprise's lists; staff record contact."""

from __future__ import annotations

from tests.access import ADMINS, Route

VIEWERS = ADMINS | {"specialist", "employer"}


def _own_list(ctx, role):
    """A list of the 伊川 employer's enterprise with one row matched to the specialist's township person."""
    from wengang.jobs.choices import MatchMethod
    from wengang.jobs.models import ReturnWorker, ReturnWorkerList

    person = ctx["person"]
    worker_list = ReturnWorkerList.objects.create(
        enterprise=ctx["people"]["employer"].enterprise, filename="名单.xlsx", rows=1, matched=1
    )
    worker = ReturnWorker.objects.create(
        worker_list=worker_list,
        row_number=2,
        name=person.name,
        phone_hash=person.phone_hash,
        phone_encrypted=person.phone_encrypted,
        phone_masked=person.phone_masked,
        person=person,
        match_method=MatchMethod.ID,
        area_code=person.village_code,
    )
    return {"pk": worker_list.pk, "worker": worker.pk}


def _list(ctx, role):
    return {"pk": _own_list(ctx, role)["pk"]}


def _matched_row(ctx, role):
    return {"pk": _own_list(ctx, role)["worker"]}


def _unmatched_row(ctx, role):
    """An unmatched row of an enterprise in the specialist's township, so every 伊川 staff role sees it."""
    from wengang.employers.tests.factories import make_enterprise
    from wengang.jobs.models import ReturnWorker, ReturnWorkerList

    enterprise = make_enterprise(name="乡镇测试企业", area_code="410329001")
    worker_list = ReturnWorkerList.objects.create(enterprise=enterprise, filename="a.csv", rows=1)
    worker = ReturnWorker.objects.create(worker_list=worker_list, row_number=2, name="无匹配")
    return {"pk": worker.pk}


ROUTES: dict[str, Route] = {
    "jobs:returnlist_list": Route(allowed=VIEWERS),
    "jobs:returnlist_upload": Route(allowed=VIEWERS),
    "jobs:returnlist_template": Route(allowed=VIEWERS),
    "jobs:returnlist_detail": Route(allowed=VIEWERS, kwargs=_list),
    "jobs:returnlist_export": Route(allowed=VIEWERS, kwargs=_list),
    "jobs:returnworker_contact": Route(allowed=ADMINS | {"specialist"}, kwargs=_matched_row),
    "jobs:returnworker_match": Route(allowed=ADMINS | {"specialist"}, kwargs=_unmatched_row),
}
