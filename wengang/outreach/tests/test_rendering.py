"""Template variables, the job list per person, its fallback, and the refusal of texts over 3 SMS."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from wengang.outreach import sms
from wengang.outreach.rendering import (
    Renderer,
    fast_segment_count,
    job_text,
    mask_name,
    pay_text,
    template_check,
    unknown_variables,
)


def test_job_text_reads_like_a_posting():
    assert job_text("电焊工", 6500, 6500, "孟津区") == "电焊工 6500元/月 孟津区"
    assert job_text("普工", 4000, 6000, "伊川县") == "普工 4000-6000元/月 伊川县"
    assert pay_text(None, None) == "薪资面议"


def test_render_replaces_every_variable(settings):
    settings.WENGANG_PUBLIC_URL = "https://jobs.example.cn"
    r = Renderer("{姓名}您好！{区县}为您推荐：{岗位}。详情 {链接} 咨询{专员电话}", essential=False)
    out = r.render(
        name="张三",
        county="伊川县",
        phone="13900001111",
        jobs=[(7, "电焊工 6500元/月 孟津区"), (9, "普工 4000元/月 伊川县")],
        sms_channel=True,
    )
    assert out.body == (
        "张三您好！伊川县为您推荐：电焊工 6500元/月 孟津区；普工 4000元/月 伊川县。"
        "详情 https://jobs.example.cn/board/7/ 咨询13900001111"
    )
    assert out.postings == [7, 9]
    assert out.segments == sms.segment_count(sms.sms_text(out.body, essential=False))


def test_no_recommendation_points_to_the_board(settings):
    settings.WENGANG_PUBLIC_URL = "https://jobs.example.cn"
    with translation.override("en"):
        out = Renderer("{姓名}：{岗位} {链接}", essential=False).render(
            name="李四", county="", phone="", jobs=[], sms_channel=False
        )
    assert out.body == "李四：no job matched for you yet; see the latest openings on the job board " + (
        "https://jobs.example.cn/board/"
    )
    assert out.postings == []
    assert out.segments == 0


def test_long_job_lists_are_cut_to_stay_within_three_sms():
    jobs = [(i, "岗" * 65) for i in range(1, 4)]
    out = Renderer("推荐：{岗位}", essential=False).render(
        name="", county="", phone="", jobs=jobs, sms_channel=True
    )
    assert out.postings == [1, 2]  # three would need 4 SMS
    assert out.segments == 3


def test_unknown_variable_is_named_with_the_known_ones():
    assert unknown_variables("{姓名}{电话}{岗位}{x}") == ["{电话}", "{x}"]
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        template_check("{姓名}请回电{电话}", essential=False)
    message = exc.value.message_dict["body"][0]
    assert "{电话}" in message
    assert "{姓名} {岗位} {链接} {专员电话} {区县}" in message


def test_a_text_over_three_sms_is_refused_with_the_count():
    assert template_check("{姓名}您好，{岗位}，详见{链接}", essential=False) == 2
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        template_check("{姓名}您好，" + "招" * 150 + "{岗位}", essential=False)
    assert exc.value.message_dict["body"] == [
        "With the longest content the text comes to 4 SMS messages, above the limit of 3; shorten it."
    ]


def test_fast_count_agrees_with_the_operator_rules():
    for text in ["", "abc", "a" * 161, "岗" * 70, "岗" * 71, "岗" * 200, "😀" * 40, "a{}" * 60, "€" * 81]:
        assert fast_segment_count(text) == sms.segment_count(text), text


def test_names_are_masked():
    assert [mask_name(n) for n in ["张三明", "张三", "欧阳小明", "李", ""]] == [
        "张*明",
        "张*",
        "欧**明",
        "李",
        "",
    ]
