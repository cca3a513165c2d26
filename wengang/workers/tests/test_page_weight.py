"""The first page on a weak phone: the home page's HTML with every stylesheet and script it links, ≤ 100 KB
(uncompressed, so stricter than over the wire), and no chart library."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from wengang.workers.tests.pages_fixtures import *  # noqa: F403  (the fixtures)
from wengang.workers.tests.pages_fixtures import make_inbox_message, recommend

pytestmark = pytest.mark.django_db
LIMIT = 100 * 1024


def _asset_bytes(url: str) -> int:
    assert url.startswith(settings.STATIC_URL), f"off-site or non-static asset {url}"
    path = finders.find(url[len(settings.STATIC_URL) :].split("?")[0])
    assert path, f"asset not found: {url}"
    return Path(path).stat().st_size


def page_weight(html: str) -> tuple[int, list[str]]:
    links = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', html)
    links += re.findall(r'<link[^>]+href="([^"]+)"[^>]+rel="stylesheet"', html)
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
    assets = sorted(set(links + scripts))
    return len(html.encode()) + sum(_asset_bytes(a) for a in assets), assets


def test_home_page_weighs_at_most_100_kb_with_its_css_and_js(client_a, worker_a, postings, people):
    recommend(worker_a.person, postings)
    for n in range(3):
        make_inbox_message(worker_a.person, body="新岗位信息" * 10 + str(n))
    html = client_a.get(reverse("workers:home")).content.decode()
    total, assets = page_weight(html)
    print(f"home page: {len(html.encode())} B HTML + assets {assets} = {total} B")
    assert total <= LIMIT
    assert "echarts" not in html.lower()
    assert "<img" not in html  # nothing that loads late and shifts the layout


def test_jobs_page_with_a_full_page_of_results_is_light_too(client_a, enterprise):
    from wengang.jobs.tests.factories import make_posting

    for n in range(20):
        make_posting(enterprise, title=f"岗位{n}")
    html = client_a.get(reverse("workers:jobs")).content.decode()
    total, _assets = page_weight(html)
    assert total <= LIMIT
