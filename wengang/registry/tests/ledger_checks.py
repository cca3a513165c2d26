"""Shared by the import tests: the usual ledger header, and the file checked with the fast path turned off."""

from __future__ import annotations

import dataclasses

from wengang.registry.importers import validation as v
from wengang.registry.importers.validation import validate_rows

HEADER = [
    "姓名",
    "身份证号",
    "联系电话",
    "性别",
    "村代码",
    "户类型",
    "就业状态",
    "务工地点",
    "月收入(元)",
    "就业意愿",
]


def validate_slowly(monkeypatch, table, user):
    """``validate_rows`` with every row through the general check: the fast path declines them all (row by
    row and by chunk)."""
    monkeypatch.setattr(v._FastPath, "row", lambda self, row, id_ok: None)
    monkeypatch.setattr(v._FastPath, "rows", lambda self, chunk, oks: [None] * len(chunk))
    result = validate_rows(table, user=user)
    monkeypatch.undo()
    return result


def assert_same_result(fast, slow):
    """The fast path's result equals the general check's: rows, errors, warnings and the count."""
    assert [dataclasses.asdict(r) for r in fast.rows] == [dataclasses.asdict(r) for r in slow.rows]
    assert fast.errors == slow.errors
    assert fast.warnings == slow.warnings
    assert fast.total_rows == slow.total_rows
