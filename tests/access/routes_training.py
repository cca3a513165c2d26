"""Vocational training: programmes, enrolments, subsidy claims and the enrolments export."""

from __future__ import annotations

from tests.access import ADMINS, Route

TRAINING = ADMINS | {"specialist"}


def _programme(ctx, role):
    """A course held in the specialist's township (410329001): seen and edited by 伊川 staff and the city."""
    import datetime as dt

    from wengang.training.models import Programme

    programme, _ = Programme.objects.get_or_create(
        name="矩阵测试培训班",
        defaults={
            "provider": "测试培训学校",
            "area_code": "410329001",
            "start_date": dt.date(2026, 4, 1),
            "end_date": dt.date(2026, 4, 10),
            "places": 10,
        },
    )
    return {"pk": programme.pk}


def _enrolment(ctx, role):
    import datetime as dt

    from wengang.training.models import Enrolment

    enrolment, _ = Enrolment.objects.get_or_create(
        programme_id=_programme(ctx, role)["pk"],
        person=ctx["person"],
        defaults={"enrolled_on": dt.date(2026, 4, 1)},
    )
    return {"pk": enrolment.pk}


ROUTES: dict[str, Route] = {
    "training:programme_list": Route(allowed=TRAINING),
    "training:programme_create": Route(allowed=TRAINING),
    "training:enrolment_export": Route(allowed=TRAINING),
    "training:programme_detail": Route(allowed=TRAINING, kwargs=_programme),
    "training:programme_edit": Route(allowed=TRAINING, kwargs=_programme),
    # Bare POSTs: the programme page shows again with the form's errors (200), after role and scope checks.
    "training:enrol": Route(method="POST", allowed=TRAINING, kwargs=_programme),
    "training:enrolment_record": Route(method="POST", allowed=TRAINING, kwargs=_enrolment),
    "training:enrolment_subsidy": Route(method="POST", allowed=TRAINING, kwargs=_enrolment),
}
