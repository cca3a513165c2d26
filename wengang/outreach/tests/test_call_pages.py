"""The call list pages: by village, masked until an audited dial, outcomes, adding from a person, export."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from wengang.accounts.tests.factories import make_user
from wengang.audit.models import AuditEvent
from wengang.employers.tests.factories import make_enterprise
from wengang.jobs.tests.factories import make_posting
from wengang.outreach.calls import call_add
from wengang.outreach.models import Message
from wengang.registry.consent import consent_record

from .factories import make_reachable, phone_of

pytestmark = pytest.mark.django_db
BACKEND = "wengang.accounts.backends.StaffBackend"


@pytest.fixture
def setup(people, client):
    caller = people["specialist"]
    posting = make_posting(
        make_enterprise(name="页面测试企业", area_code="410329"),
        title="缝纫工",
        monthly_min=4500,
        monthly_max=6000,
    )
    person = make_reachable(people["county_admin"], "410329001", 61, channels=("phone",), name="王电话")
    message = call_add(actor=caller, person=person, reason="春风行动招聘", postings=[posting.pk])
    client.force_login(caller, backend=BACKEND)
    return {"caller": caller, "person": person, "message": message, "posting": posting}


def test_list_groups_by_village_with_masked_phone_and_postings(client, setup):
    response = client.get(reverse("outreach:call_list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "王电话" in html
    assert setup["person"].phone_masked in html
    assert phone_of(61) not in html
    assert "缝纫工" in html
    assert "4500–6000" in html
    assert f'data-code="{setup["person"].village_code}"' in html
    assert 'name="outcome" value="wrong_number"' in html
    assert 'name="guidance_given"' in html


def test_other_county_specialist_sees_none_of_it(client, setup):
    client.force_login(make_user("t_spec_ys2", "specialist", "410307004"), backend=BACKEND)
    html = client.get(reverse("outreach:call_list")).content.decode()
    assert "王电话" not in html
    assert client.post(reverse("outreach:call_dial", kwargs={"pk": setup["message"].pk})).status_code == 404
    response = client.post(
        reverse("outreach:call_record", kwargs={"pk": setup["message"].pk}), {"outcome": "reached"}
    )
    assert response.status_code == 404
    setup["message"].refresh_from_db()
    assert setup["message"].state == "queued"
    assert not AuditEvent.objects.filter(action="unmask").exists()


def test_dial_shows_a_tel_link_and_is_audited(client, setup):
    assert not AuditEvent.objects.filter(action="unmask").exists()
    response = client.post(reverse("outreach:call_dial", kwargs={"pk": setup["message"].pk}))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="tel:{phone_of(61)}"' in html
    event = AuditEvent.objects.get(action="unmask")
    assert (event.object_id, event.reason, event.actor_id) == (
        str(setup["person"].pk),
        "电话联系",
        setup["caller"].pk,
    )
    assert client.get(reverse("outreach:call_dial", kwargs={"pk": setup["message"].pk})).status_code == 405


def test_record_outcome_from_the_page(client, setup):
    url = reverse("outreach:call_record", kwargs={"pk": setup["message"].pk})
    response = client.post(url, {"outcome": "interested", "note": "明天去面试"})
    assert response.status_code == 302
    message = Message.objects.get(pk=setup["message"].pk)
    assert (message.state, message.call_outcome, message.call_note) == (
        "delivered",
        "interested",
        "明天去面试",
    )
    assert setup["person"].referrals.filter(posting=setup["posting"]).exists()
    assert 'data-testid="call-row"' not in client.get(reverse("outreach:call_list")).content.decode()


def test_record_without_outcome_changes_nothing(client, setup):
    url = reverse("outreach:call_record", kwargs={"pk": setup["message"].pk})
    assert client.post(url, {"note": "x"}).status_code == 302
    setup["message"].refresh_from_db()
    assert (setup["message"].state, setup["message"].attempts) == ("queued", 0)


def test_withdrawn_consent_shows_no_calls_and_no_dial(client, people, setup):
    consent_record(actor=people["county_admin"], person=setup["person"], channel="phone", granted=False)
    html = client.get(reverse("outreach:call_list")).content.decode()
    assert 'data-testid="no-calls"' in html
    assert 'data-testid="dial"' not in html
    client.post(reverse("outreach:call_dial", kwargs={"pk": setup["message"].pk}))
    assert not AuditEvent.objects.filter(action="unmask").exists()
    client.post(reverse("outreach:call_record", kwargs={"pk": setup["message"].pk}))
    setup["message"].refresh_from_db()
    assert setup["message"].state == "skipped"


def test_add_from_the_person_page(client, people, setup):
    person = make_reachable(people["county_admin"], "410329001", 62, channels=("phone",))
    url = reverse("outreach:call_add", kwargs={"person_pk": person.pk})
    page = client.get(reverse("registry:person_detail", kwargs={"pk": person.pk})).content.decode()
    assert url in page
    response = client.post(url, {"reason": "培训报名", "postings": f"{setup['posting'].pk}"})
    assert response.status_code == 302
    message = Message.objects.get(person=person, channel="phone")
    assert (message.body, message.postings, message.state) == ("培训报名", [setup["posting"].pk], "queued")
    client.post(url, {"reason": "培训报名", "postings": f"{setup['posting'].pk}"})
    assert Message.objects.filter(person=person, channel="phone").count() == 1
    client.post(url, {"reason": "", "postings": "abc"})
    assert Message.objects.filter(person=person, channel="phone").count() == 1


def test_add_refused_for_a_person_out_of_scope(client, people, setup):
    other = make_reachable(people["other_county_admin"], "410307004", 63, channels=("phone",))
    response = client.post(reverse("outreach:call_add", kwargs={"person_pk": other.pk}), {"reason": "x"})
    assert response.status_code == 404
    assert not Message.objects.filter(person=other).exists()


def test_export_has_masked_phones_only(client, setup):
    response = client.get(reverse("outreach:call_export"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[str(c) if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    flat = " ".join(" ".join(r) for r in rows)
    assert len(rows) == 2
    assert setup["person"].phone_masked in rows[1]
    assert phone_of(61) not in flat
    assert "缝纫工" in flat
    assert AuditEvent.objects.filter(action="export", object_type="outreach.message").exists()
