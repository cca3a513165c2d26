"""``manage.py load_regions`` — load a region or code-change CSV file (format: docs/regions-format.md)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from wengang.regions.services import (
    LoadResult,
    RegionLoadError,
    code_changes_load_file,
    luoyang_load,
    regions_load_file,
)


def _summary(result: LoadResult) -> str:
    return f"新增 {result.created}，更新 {result.updated}，未变 {result.unchanged}"


class Command(BaseCommand):
    help = (
        "载入行政区划 CSV 文件（UTF-8 或 GBK）。表头：code,name,parent_code,level，"
        "可选 longitude,latitude,valid_from,valid_to,is_statistical,data_version；"
        "格式见 docs/regions-format.md。"
        "加 --changes 表示 FILE 是代码变更文件（old_code,new_code,effective_date,note）；"
        "不给 FILE 而加 --luoyang 则载入项目自带的洛阳区划和代码变更。"
        "文件有任何错误时逐条列出，不写入任何数据，退出码为 1。"
        " / Load a region CSV file (or, with --changes, a code-change file; with --luoyang, the shipped "
        "Luoyang data). Any error: every error is printed, nothing is written, exit status 1."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, help="CSV 文件路径 / path of the CSV file")
        parser.add_argument(
            "--data-version",
            dest="data_version",
            default=None,
            help="没有 data_version 列的行使用的数据版本（默认取文件名）/ data version for rows without one "
            "(default: the file name without suffix)",
        )
        parser.add_argument(
            "--changes",
            action="store_true",
            help="FILE 是代码变更文件 / FILE is a code-change file (old_code,new_code,effective_date,note)",
        )
        parser.add_argument(
            "--luoyang",
            action="store_true",
            help="载入项目自带的洛阳数据（不要同时给 FILE）/ load the shipped Luoyang files",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path | None = options["file"]
        if options["luoyang"]:
            if path is not None:
                raise CommandError("--luoyang 不能与 FILE 同时使用")
            if options["changes"] or options["data_version"] is not None:
                raise CommandError("--luoyang 不能与 --changes 或 --data-version 同时使用")
        elif path is None:
            raise CommandError("请给出 CSV 文件路径，或使用 --luoyang 载入自带的洛阳数据")
        elif not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        elif options["changes"] and options["data_version"] is not None:
            raise CommandError("代码变更文件没有数据版本，--data-version 不能与 --changes 同时使用")

        try:
            if path is None:
                regions, changes = luoyang_load()
                self.stdout.write(f"区划：{_summary(regions)}")
                self.stdout.write(f"代码变更：{_summary(changes)}")
            elif options["changes"]:
                self.stdout.write(_summary(code_changes_load_file(path=path)))
            else:
                self.stdout.write(
                    _summary(regions_load_file(path=path, data_version=options["data_version"]))
                )
        except RegionLoadError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(f"共 {len(exc.errors)} 处错误，未写入任何数据") from exc
