"""Ledger import speed: a CSV and an xlsx through the real two-step import (validate, then load).

The files are built here: the headers the importer recognises (姓名, 身份证号, 联系电话, 村代码, 户类型,
就业状态, 务工地点, 月收入(元), 就业意愿), every row a made-up but valid resident ID number (the village's
county code, or the code that county had in the birth year, as ``wengang.registry.seed`` does; birth date;
3-digit sequence; GB 11643 check digit), unique per row, in a real Luoyang village. Each import is
timed end to end: ``ledger_import_validate`` (stream the rows, validate them in chunks, record the
LedgerImport with the sealed rows) then ``ledger_import_load`` (decrypt, write batches: COPY on
PostgreSQL, ``executemany`` on SQLite; into the emptied registry every CSV and xlsx import here is a bulk
load: batches of 50,000, non-unique indexes (and PostgreSQL's foreign keys) dropped and built again at the
end, inside the timed load).

The peer, in the same run on the same CSV: a plain Django loop, ``csv.reader`` → ``Person`` objects with
``protect_id`` / ``protect_phone`` → ``bulk_create`` 1000 at a time, one transaction per batch. At city
scale the peer runs on the CSV's first 100,000 rows (at its ~3,000 rows/s the whole file would take 6
minutes); ``peer_rows`` says how many.

Scale: small = 20,000-row CSV and 5,000-row xlsx; city = the issue's sizes, a 1,000,000-row CSV and a
200,000-row xlsx. Nothing is extrapolated. ``BENCH_IMPORT_ROWS=N`` sets another CSV size (to iterate on).
"""

from __future__ import annotations

import cProfile
import csv
import datetime as dt
import gc
import io
import os
import pstats
import random
import resource
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from stdnum.cn import ric

from bench.bench_audit_verify import RssPeak, check, in_child
from wengang.registry.identity import protect_id, protect_phone
from wengang.registry.importers import columns as cols
from wengang.registry.importers import reading
from wengang.registry.models import EmploymentEvent, Household, IntentRecord, LedgerImport, Person
from wengang.registry.seed import FEMALE_CHARS, MALE_CHARS, MOBILE_PREFIXES, SURNAMES, id_region_code

NAME = "import"
PEER = (
    "A plain Django loop over the same CSV in the same run: csv.reader, one Person per row with "
    "protect_id/protect_phone (hash, encrypt, mask), Person.objects.bulk_create 1000 at a time, one "
    "transaction per batch. No validation beyond slicing the ID number, no households, events or intents."
)
SIZES = {
    "small": {"csv": 20_000, "xlsx": 5_000, "profile": 5_000, "peer": 20_000},
    "city": {"csv": 1_000_000, "xlsx": 200_000, "profile": 20_000, "peer": 100_000},
}
SEED = 20_260_202
OUR_CODE = ("wengang/", "django/db/models/query.py", "django/db/models/sql/compiler.py", "cryptography/")
WORK_DIR = Path(__file__).resolve().parent.parent / "var" / "bench" / "import_files"
HEADERS = [
    "姓名",
    "身份证号",
    "联系电话",
    "村代码",
    "户类型",
    "就业状态",
    "务工地点",
    "月收入(元)",
    "就业意愿",
]
POVERTY_WORDS = (("一般户", 84), ("脱贫户", 9), ("监测户", 3), ("低收入户", 4))
STATUS_WORDS = (
    ("省外务工", 30),
    ("县外省内务工", 15),
    ("县内务工", 15),
    ("灵活就业", 8),
    ("未就业", 12),
    ("无就业意愿", 10),
    ("", 10),
)
EMPLOYED = {"省外务工", "县外省内务工", "县内务工", "灵活就业"}
PLACES = {
    "省外务工": ("江苏省苏州市", "浙江省宁波市", "广东省东莞市", "上海市浦东新区"),
    "县外省内务工": ("郑州市金水区", "洛阳市涧西区", "新乡市红旗区"),
    "县内务工": ("嵩县产业集聚区", "栾川县城关镇", "汝阳县城关镇"),
    "灵活就业": ("本乡镇",),
}
INTENT_WORDS = (("外出务工", 35), ("就地过年", 10), ("返乡", 15), ("县内就业", 10), ("", 30))
BIRTH_FIRST, BIRTH_DAYS = dt.date(1963, 1, 1), (dt.date(2007, 12, 31) - dt.date(1963, 1, 1)).days


# --- the files -----------------------------------------------------------------------------------------


def _villages() -> list[str]:
    from wengang.regions.models import Region

    return list(
        Region.objects.filter(level="village", valid_to__isnull=True)
        .order_by("code")
        .values_list("code", flat=True)
    )


def _weighted(pairs: tuple[tuple[str, int], ...]) -> tuple[list[str], list[int]]:
    return [p[0] for p in pairs], [p[1] for p in pairs]


def ledger_rows(count: int, villages: list[str]) -> Iterator[list[str]]:
    """``count`` data rows (all text, as a CSV carries them), deterministic, ID numbers unique."""
    rng = random.Random(SEED)
    seen: set[str] = set()
    poverty, status, intent = _weighted(POVERTY_WORDS), _weighted(STATUS_WORDS), _weighted(INTENT_WORDS)
    made = 0
    while made < count:
        village = villages[rng.randrange(len(villages))]
        birth = BIRTH_FIRST + dt.timedelta(days=rng.randrange(BIRTH_DAYS))
        order = rng.randrange(1, 1000)
        body = f"{id_region_code(village[:6], birth.year)}{birth:%Y%m%d}{order:03d}"
        number = body + ric.calc_check_digit(body + "0")
        if number in seen or number.endswith("00"):  # ...00 is refused as Excel-mangled
            continue
        seen.add(number)
        chars = MALE_CHARS if order % 2 else FEMALE_CHARS
        name = SURNAMES.pick(rng) + "".join(chars.pick(rng) for _ in range(rng.choice((1, 2, 2))))
        phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        word = rng.choices(*status)[0]
        employed = word in EMPLOYED
        yield [
            name,
            number,
            phone,
            village,
            rng.choices(*poverty)[0],
            word,
            rng.choice(PLACES[word]) if employed else "",
            str(rng.randrange(20, 90) * 100) if employed else "",
            rng.choices(*intent)[0],
        ]
        made += 1


def write_csv(path: Path, count: int, villages: list[str]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:  # "CSV UTF-8" as Excel saves it: with BOM
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        writer.writerows(ledger_rows(count, villages))


def write_xlsx(path: Path, count: int, villages: list[str]) -> None:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("台账")
    ws.append(HEADERS)
    for row in ledger_rows(count, villages):
        # ID numbers and phones as text (as the template asks), income as a number.
        ws.append([*row[:7], int(row[7]) if row[7] else None, row[8]])
    wb.save(path)


def file_path(kind: str, count: int) -> Path:
    return WORK_DIR / f"ledger_{count}.{kind}"


def make_files(plan: list[tuple[str, int]]) -> dict[str, Any]:
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    villages = _villages()
    out: dict[str, Any] = {"villages": len(villages)}
    for kind, count in plan:
        path = file_path(kind, count)
        started = time.perf_counter()
        (write_csv if kind == "csv" else write_xlsx)(path, count, villages)
        out[f"{kind}_{count}_file_mb"] = round(path.stat().st_size / 2**20, 1)
        out[f"{kind}_{count}_build_seconds"] = round(time.perf_counter() - started, 1)
    return out


# --- the database ----------------------------------------------------------------------------------------


def empty_registry() -> None:
    """Empty the tables an import writes (the throwaway database only)."""
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            tables = [
                m._meta.db_table for m in (EmploymentEvent, IntentRecord, Household, Person, LedgerImport)
            ]
            cur.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        else:
            cur.execute(f"UPDATE {Household._meta.db_table} SET head_id = NULL")  # noqa: S608
            for model in (EmploymentEvent, IntentRecord, Person, Household, LedgerImport):
                cur.execute(f"DELETE FROM {model._meta.db_table}")  # noqa: S608


def settle() -> None:
    """After emptying: VACUUM on PostgreSQL so the next writer starts from the same state as the last."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            for model in (EmploymentEvent, IntentRecord, Household, Person, LedgerImport):
                cur.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def bench_user() -> Any:
    """The importing account; made again if emptying the registry took it (on PostgreSQL the TRUNCATE
    cascades to accounts_user, which refers to people)."""
    from wengang.accounts.models import User
    from wengang.accounts.tests.factories import make_user

    return User.objects.filter(username="bench").first() or make_user("bench", "city_admin", "410300")


# --- measuring -------------------------------------------------------------------------------------------


def measured(fn: Callable[[], Any]) -> tuple[Any, float, float, float]:
    """(result, seconds, peak RSS growth MiB, peak RSS MiB) of one call of ``fn`` in this process."""
    gc.collect()
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with RssPeak() as mem:
        started = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - started
    maxrss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    peak = max(mem.peak, maxrss_after) if maxrss_after > maxrss_before else mem.peak
    return result, seconds, (peak - mem.start) / 2**20, peak / 2**20


def real_import(data: bytes, filename: str) -> dict[str, Any]:
    """The real path: validate (step 1) then load (step 3, what the background task runs)."""
    from wengang.registry.imports import ledger_import_load, ledger_import_validate

    user = bench_user()
    started = time.perf_counter()
    record = ledger_import_validate(user=user, data=data, filename=filename)
    validated = time.perf_counter()
    record = ledger_import_load(import_id=record.pk)
    return {
        "validate_seconds": validated - started,
        "load_seconds": time.perf_counter() - validated,
        "total_rows": record.total_rows,
        "valid_rows": record.valid_rows,
        "rejected_rows": record.rejected_rows,
        "warnings": record.warning_count,
        "created": record.created,
        "status": record.status,
    }


def phase_import(kind: str, count: int) -> dict[str, Any]:
    empty_registry()
    settle()
    path = file_path(kind, count)
    data = path.read_bytes()
    result, seconds, growth, peak = measured(lambda: real_import(data, path.name))
    check(result["valid_rows"] == count and result["created"] == count, result)
    check(Person.objects.count() == count, "people written")
    return {
        "rows": count,
        "seconds": round(seconds, 2),
        "rows_per_s": round(count / seconds),
        "validate_seconds": round(result["validate_seconds"], 2),
        "load_seconds": round(result["load_seconds"], 2),
        "warnings": result["warnings"],
        "peak_rss_mb": round(growth, 1),
        "peak_rss_abs_mb": round(peak, 1),
    }


def peer_load(data: bytes, limit: int) -> int:
    """The peer: csv.reader → Person(protect_id, protect_phone) → bulk_create(1000), a transaction a batch."""
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    done = 0
    batch: list[Person] = []

    def flush() -> None:
        with transaction.atomic():
            Person.objects.bulk_create(batch)
        batch.clear()

    for name, number, phone, village, _poverty, status, _place, _income, intent in reader:
        pid, ph = protect_id(number), protect_phone(phone)
        batch.append(
            Person(
                id_hash=pid.hash,
                id_encrypted=pid.encrypted,
                id_masked=pid.masked,
                name=name,
                gender="M" if int(number[16]) % 2 else "F",
                birth_date=dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
                phone_hash=ph.hash,
                phone_encrypted=ph.encrypted,
                phone_masked=ph.masked,
                village_code=village,
                status=cols.lookup_enum(cols.STATUS, status) or "" if status else "",
                intent=cols.lookup_enum(cols.INTENT, intent) or "" if intent else "",
            )
        )
        done += 1
        if len(batch) >= 1000:
            flush()
        if done >= limit:
            break
    if batch:
        flush()
    return done


def phase_peer(count: int, limit: int) -> dict[str, Any]:
    empty_registry()
    settle()
    data = file_path("csv", count).read_bytes()
    done, seconds, growth, _peak = measured(lambda: peer_load(data, limit))
    check(done == limit and Person.objects.count() == limit, f"peer wrote {done}")
    return {
        "peer_rows": done,
        "peer_seconds": round(seconds, 2),
        "peer_rows_per_s": round(done / seconds),
        "peer_peak_rss_mb": round(growth, 1),
    }


def phase_xlsx_read(count: int) -> dict[str, Any]:
    """The reading step alone: the importer's streaming reader (python-calamine underneath, every row
    consumed) against python-calamine's ``to_python()`` on the same bytes."""
    from python_calamine import CalamineWorkbook

    data = file_path("xlsx", count).read_bytes()
    rows, seconds, growth, _ = measured(lambda: sum(1 for _r in reading.iter_table(data, "ledger.xlsx").rows))
    check(rows == count, rows)
    grid, cal_seconds, cal_growth, _ = measured(
        lambda: CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    )
    check(len(grid) == count + 1, len(grid))
    return {
        "xlsx_read_seconds": round(seconds, 2),
        "xlsx_read_rows_per_s": round(count / seconds),
        "xlsx_read_peak_rss_mb": round(growth, 1),
        "peer_xlsx_calamine_read_seconds": round(cal_seconds, 2),
        "peer_xlsx_calamine_rows_per_s": round(count / cal_seconds),
        "peer_xlsx_calamine_peak_rss_mb": round(cal_growth, 1),
    }


def phase_profile(count: int) -> dict[str, Any]:
    """cProfile of the real CSV import at ``count`` rows: the top 10 functions by own time."""
    empty_registry()
    settle()
    path = file_path("csv", count)
    data = path.read_bytes()
    profiler = cProfile.Profile()
    profiler.enable()
    real_import(data, path.name)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = []
    for (filename, line, func), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append((tottime, cumtime, ncalls, _short(filename), line, func))
    rows.sort(reverse=True)
    top = [
        {
            "function": f"{file}:{line}({func})",
            "calls": ncalls,
            "own_s": round(tottime, 2),
            "cumulative_s": round(cumtime, 2),
            "own_pct": round(100 * tottime / total, 1),
        }
        for tottime, cumtime, ncalls, file, line, func in rows[:10]
    ]
    ours = sorted((r for r in rows if r[3].startswith(OUR_CODE)), key=lambda r: r[1], reverse=True)
    cumulative = [
        {"function": f"{file}:{line}({func})", "calls": ncalls, "cumulative_s": round(cumtime, 2)}
        for _tt, cumtime, ncalls, file, line, func in ours[:20]
    ]
    return {
        "profile_rows": count,
        "profile_total_s": round(total, 2),
        "profile_top": top,
        "profile_cumulative": cumulative,
    }


def _short(filename: str) -> str:
    for marker in ("/site-packages/", "/work/main/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return os.path.basename(filename) if filename.startswith("/") else filename


# --- the run ---------------------------------------------------------------------------------------------


def setup() -> None:
    from wengang.accounts.models import User
    from wengang.accounts.tests.factories import make_user
    from wengang.regions.services import luoyang_load

    luoyang_load()
    if not User.objects.filter(username="bench").exists():  # a kept PostgreSQL database has it already
        make_user("bench", "city_admin", "410300")


def run(scale: str) -> dict[str, Any]:
    sizes = dict(SIZES[scale])
    if os.environ.get("BENCH_IMPORT_ROWS"):  # a CSV size to iterate on (the results then say which)
        sizes["csv"] = int(os.environ["BENCH_IMPORT_ROWS"])
        sizes["peer"] = min(sizes["peer"], sizes["csv"])
    vendor = connection.vendor
    in_child(setup)
    plan = [("csv", sizes["csv"]), ("xlsx", sizes["xlsx"])]
    if sizes["profile"] != sizes["csv"]:
        plan.append(("csv", sizes["profile"]))
    files = in_child(make_files, plan)

    csv_run = in_child(phase_import, "csv", sizes["csv"])
    peer = in_child(phase_peer, sizes["csv"], sizes["peer"])
    xlsx_run = in_child(phase_import, "xlsx", sizes["xlsx"])
    xlsx_read = in_child(phase_xlsx_read, sizes["xlsx"])
    profile = in_child(phase_profile, sizes["profile"])

    figures: dict[str, Any] = {
        "csv_rows_per_s_pg": csv_run["rows_per_s"] if vendor == "postgresql" else None,
        "csv_rows_per_s_sqlite": csv_run["rows_per_s"] if vendor == "sqlite" else None,
        "xlsx_rows_per_s": xlsx_run["rows_per_s"],
        "peak_rss_mb": csv_run["peak_rss_mb"],
        "peer_rows_per_s": peer["peer_rows_per_s"],
        "csv_rows": csv_run["rows"],
        "csv_seconds": csv_run["seconds"],
        "csv_validate_seconds": csv_run["validate_seconds"],
        "csv_load_seconds": csv_run["load_seconds"],
        "csv_peak_rss_abs_mb": csv_run["peak_rss_abs_mb"],
        "csv_warnings": csv_run["warnings"],
        "xlsx_rows": xlsx_run["rows"],
        "xlsx_seconds": xlsx_run["seconds"],
        "xlsx_validate_seconds": xlsx_run["validate_seconds"],
        "xlsx_load_seconds": xlsx_run["load_seconds"],
        "xlsx_peak_rss_mb": xlsx_run["peak_rss_mb"],
        **xlsx_read,
        "max_rows_accepted": reading.MAX_ROWS,
        **peer,
        "speedup_peer_vs_real": round(peer["peer_rows_per_s"] / csv_run["rows_per_s"], 2),
    }
    figures |= {"files": files, **profile}
    for kind, count in plan:
        file_path(kind, count).unlink(missing_ok=True)
    return figures


def summary(f: dict[str, Any], scale: str) -> str:
    csv_rate = f["csv_rows_per_s_pg"] or f["csv_rows_per_s_sqlite"]
    text = (
        f"Import ({scale}): a {f['csv_rows']:,}-row CSV went through validate+load at {csv_rate:,} rows/s "
        f"({f['csv_validate_seconds']} s validate, {f['csv_load_seconds']} s load; "
        f"+{f['peak_rss_mb']} MB RSS); "
        f"a {f['xlsx_rows']:,}-row xlsx at {f['xlsx_rows_per_s']:,} rows/s (reading alone "
        f"{f['xlsx_read_rows_per_s']:,} rows/s, calamine {f['peer_xlsx_calamine_rows_per_s']:,}). The plain "
        f"bulk_create peer wrote the first {f['peer_rows']:,} rows of the same CSV at "
        f"{f['peer_rows_per_s']:,} rows/s."
    )
    return text
