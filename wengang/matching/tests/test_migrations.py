"""The stored recommendations survive the change of their terms from a JSON document to a short text."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from wengang.matching.models import Recommendation

BEFORE = [("matching", "0003_recommendation_unconstrained_keys")]
AFTER = [("matching", "0004_recommendation_term_values")]


@pytest.mark.django_db(transaction=True)
def test_terms_are_converted_to_text():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    run = old.get_model("matching", "MatchRun").objects.create(scope_code="410329")
    rec = old.get_model("matching", "Recommendation")
    terms = {"distance": 21.05, "wage_income": 8.0, "wage_local": -4.62, "board": 5.0, "skills": 0.0}
    terms |= {"key_enterprise": 3.0, "priority": 0.0, "km": 12.4}
    # the keys have no database constraint since 0003: no person or posting needs to exist
    common = {"run_id": run.pk, "person_id": 7, "posting_id": 9, "score": 1.0}
    rec.objects.create(rank=1, terms=terms, **common)
    rec.objects.create(rank=2, terms={}, **common)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    first, second = Recommendation.objects.order_by("rank")
    assert first.terms == terms
    assert first.term_values == "21.05,8.0,-4.62,5.0,0.0,3.0,0.0,12.4"
    assert (second.term_values, second.terms) == ("", {})
