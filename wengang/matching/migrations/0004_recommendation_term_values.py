"""Recommendation terms as a short text (``term_values``) instead of a JSON document: the stored rows are
converted in one UPDATE (the same on PostgreSQL and SQLite), then the JSON column goes."""

from django.db import migrations, models
from django.db.models import Func, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce

KEYS = ("distance", "wage_income", "wage_local", "board", "skills", "key_enterprise", "priority", "km")


def to_text(apps, schema_editor):
    recommendation = apps.get_model("matching", "Recommendation")
    parts: list = []
    for key in KEYS:
        if parts:
            parts.append(Value(","))
        parts.append(Coalesce(KT(f"terms__{key}"), Value("0.0"), output_field=models.CharField()))
    # ``||`` joins text on both databases (Django's Concat nests a function per argument: too deep for SQLite).
    joined = Func(*parts, template="(%(expressions)s)", arg_joiner=" || ", output_field=models.CharField())
    recommendation.objects.exclude(terms={}).update(term_values=joined)


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0003_recommendation_unconstrained_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="recommendation",
            name="term_values",
            field=models.CharField(blank=True, max_length=120, verbose_name="score terms"),
        ),
        migrations.RunPython(to_text, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="recommendation",
            name="terms",
        ),
    ]
