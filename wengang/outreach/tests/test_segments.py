"""Segments: registry filters within the using user's scope, reach per channel, masked samples."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wengang.accounts.tests.factories import make_user
from wengang.assistance.tests.factories import make_case
from wengang.outreach.models import Segment, WeChatBinding
from wengang.outreach.segments import (
    people_matching,
    segment_list,
    segment_people,
    segment_preview,
    segment_save,
)

from .factories import make_reachable

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_counties(people):
    """Three people in 伊川 (410329001…) and two in 偃师 (410307004…), with a 偃师 specialist for them."""
    people["other_specialist"] = make_user("t_spec_ys", "specialist", "410307004")
    yc = [make_reachable(people["county_admin"], "410329001", i, name=f"伊川人{i}") for i in (1, 2, 3)]
    ys = [make_reachable(people["other_county_admin"], "410307004", i, name=f"偃师人{i}") for i in (4, 5)]
    return yc, ys


def test_a_segment_never_crosses_counties(people, two_counties):
    yc, ys = two_counties
    segment = segment_save(actor=people["specialist"], name="全部", filters={})
    assert set(segment_people(segment, user=people["specialist"])) == set(yc)
    # The same segment used by 偃师's specialist reaches only 偃师's people, and the reverse.
    assert set(segment_people(segment, user=people["other_specialist"])) == set(ys)
    theirs = segment_save(actor=people["other_specialist"], name="偃师", filters={"area": "410307004"})
    assert list(segment_people(theirs, user=people["specialist"])) == []
    assert list(segment_people(theirs, user=people["city_admin"])) == sorted(
        ys, key=lambda p: (p.village_code, p.pk)
    )
    # Nor does either see the other's saved segment.
    assert list(segment_list(user=people["specialist"])) == [segment]
    assert list(segment_list(user=people["other_specialist"])) == [theirs]


def test_roles_without_outreach_see_nobody(people, two_counties):
    for role in ("viewer", "employer", "health_officer", "liaison", "auditor", "worker"):
        assert people_matching(user=people[role], filters={}).count() == 0, role
        assert segment_list(user=people[role]).count() == 0, role


def test_area_outside_the_actor_is_refused(people):
    with pytest.raises(ValidationError) as exc:
        segment_save(actor=people["specialist"], name="x", filters={"area": "410307"})
    assert "area" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        segment_save(actor=people["viewer"], name="x", filters={})
    assert Segment.objects.count() == 0


def test_filters_are_cleaned_and_priority_selects_open_cases(people, two_counties):
    yc, _ys = two_counties
    make_case(yc[1])
    segment = segment_save(
        actor=people["county_admin"],
        name="重点",
        filters={"priority": "1", "age_min": "18", "status": "", "bogus": "x", "returned_from": "2026-01-01"},
    )
    assert segment.filters == {"priority": "1", "age_min": 18, "returned_from": "2026-01-01"}
    assert segment.area_code == "410329"
    segment.filters = {"priority": "1"}
    assert list(segment_people(segment, user=people["county_admin"])) == [yc[1]]
    with pytest.raises(ValidationError):
        segment_save(actor=people["county_admin"], name="x", filters={"age_min": "abc"})


def test_preview_counts_reach_per_channel_and_masks_samples(people):
    admin = people["county_admin"]
    sms_only = make_reachable(admin, "410329001", 1, name="张三明")
    both = make_reachable(admin, "410329001", 2, channels=("sms", "wechat"), name="李四")
    WeChatBinding.objects.create(person=both, openid="o-2")
    make_reachable(admin, "410329001", 3, channels=("wechat",), name="王五")  # consents, not bound
    make_reachable(admin, "410329001", 4, channels=("app", "phone"), phone="", name="赵六")  # no phone
    make_reachable(admin, "410329001", 5, channels=(), name="孙七")
    preview = segment_preview(user=admin, filters={}, template_body="{姓名}您好，{区县}有新岗位")
    assert preview.total == 5
    assert preview.reachable == {"wechat": 1, "sms": 2, "app": 1, "phone": 0}
    assert len(preview.samples) == 3
    assert preview.samples[0] == "张*明您好，伊川县有新岗位"
    assert preview.samples[1] == "李*您好，伊川县有新岗位"
    assert all(sms_only.name not in s for s in preview.samples)
