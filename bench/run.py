"""The benchmark harness: ``python -m bench.run [--only NAME] [--scale small|city|province] [--tag TAG]``.

Every module ``bench/bench_<name>.py`` exposing ``NAME: str`` and ``run(scale: str) -> dict`` is a benchmark.
``run`` returns its figures (flat, named as the issue names them); figures starting with ``peer_`` belong
to the peer it was measured against in the same run, which the module describes in ``PEER: str``. An
optional ``summary(figures, scale) -> str`` gives the one-paragraph human summary.

Each benchmark runs against a throwaway database, never the demo data: by default a fresh SQLite file
``var/bench/<name>.sqlite3`` (deleted afterwards unless ``--keep-db``), or ``BENCH_DATABASE_URL`` when set
(a PostgreSQL database whose name contains "bench"; it is created if missing). The schema is migrated in
first. Results go to ``bench/results/<name>[_<tag>].json``.

With more than one benchmark selected, each runs in its own child process: Django settles its database
at setup, and a fresh process keeps one benchmark's memory out of the next one's figures.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
DB_DIR = ROOT / "var" / "bench"
SCALES = ("small", "city", "province")
DEFAULT_SCALES = ("small", "city")  # what a benchmark runs unless it names its own ``SCALES``
TZ = ZoneInfo("Asia/Shanghai")


def discover() -> list[str]:
    """Benchmark names, from the file names ``bench/bench_<name>.py`` (sorted)."""
    return sorted(p.stem.removeprefix("bench_") for p in BENCH_DIR.glob("bench_*.py"))


def load(name: str) -> ModuleType:
    module = importlib.import_module(f"bench.bench_{name}")
    if getattr(module, "NAME", None) != name or not callable(getattr(module, "run", None)):
        raise SystemExit(f"bench/bench_{name}.py must define NAME = {name!r} and run(scale) -> dict")
    return module


# --- the throwaway database ----------------------------------------------------------------------------


def _ensure_postgres_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` if it does not exist yet."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    dbname = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
            print(f"created database {dbname}", file=sys.stderr)


def prepare_database(name: str, *, force: bool) -> Path | None:
    """Point DATABASE_URL at the throwaway database (before django.setup()); return the SQLite file if any."""
    url = os.environ.get("BENCH_DATABASE_URL", "").strip()
    if url:
        parts = urlsplit(url)
        dbname = parts.path.lstrip("/")
        if "bench" not in dbname and not force:
            raise SystemExit(
                f"BENCH_DATABASE_URL names database {dbname!r}: benchmarks empty tables, so its name must "
                "contain 'bench' (or pass --force)"
            )
        if parts.scheme.startswith("postgres"):
            _ensure_postgres_database(url)
        os.environ["DATABASE_URL"] = url
        return None
    DB_DIR.mkdir(parents=True, exist_ok=True)
    path = DB_DIR / f"{name}.sqlite3"
    _remove_sqlite(path)
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    return path


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def setup_django() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    os.environ["WENGANG_DEBUG"] = "0"  # DEBUG keeps every query in memory, which would skew the figures
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def database_info() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
        elif connection.vendor == "sqlite":
            cur.execute("SELECT sqlite_version()")
        else:
            return {"vendor": connection.vendor}
        version = cur.fetchone()[0]
    return {"vendor": connection.vendor, "version": version, "name": str(connection.settings_dict["NAME"])}


def machine_info() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        nproc = os.cpu_count() or 0
    memory_mb = None
    try:
        memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (ValueError, OSError, AttributeError):
        pass
    return {
        "nproc": nproc,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "memory_mb": memory_mb,
    }


# --- running and reporting -----------------------------------------------------------------------------


def result_path(name: str, tag: str) -> Path:
    return RESULTS_DIR / (f"{name}_{tag}.json" if tag else f"{name}.json")


def default_summary(name: str, scale: str, figures: dict[str, Any]) -> str:
    shown = ", ".join(f"{k}={v}" for k, v in figures.items())
    return f"{name} at scale {scale}: {shown}."


def scales_of(module: ModuleType) -> tuple[str, ...]:
    return tuple(getattr(module, "SCALES", DEFAULT_SCALES))


class ScaleMissing(Exception):
    """The benchmark has no such scale (``main`` exits with ``SKIPPED``; a run of them all goes on)."""


SKIPPED = 3


def run_one(name: str, scale: str, tag: str, *, keep_db: bool, force: bool) -> Path:
    if scale == "province" and not tag:
        tag = "province"  # never overwrite the city's result with a province run
    sqlite_file = prepare_database(name, force=force)
    try:
        setup_django()
        module = load(name)
        if scale not in scales_of(module):
            have = ", ".join(scales_of(module))
            raise ScaleMissing(f"bench {name} has no scale {scale!r} (it has: {have})")
        database = database_info()
        print(f"[bench] {name} scale={scale} database={database['vendor']}", file=sys.stderr, flush=True)
        figures = module.run(scale)
    finally:
        if sqlite_file is not None and not keep_db:
            from django.db import connections

            connections.close_all()
            _remove_sqlite(sqlite_file)
    peer_figures = {k: v for k, v in figures.items() if k.startswith("peer_")}
    result = {
        "name": name,
        "scale": scale,
        "tag": tag or None,
        "date": datetime.now(TZ).isoformat(timespec="seconds"),
        "database": database["vendor"],
        "database_detail": database,
        "machine": machine_info(),
        "figures": figures,
        "peer": {"description": getattr(module, "PEER", ""), "figures": peer_figures},
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = result_path(name, tag)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    tmp.replace(path)
    summary = getattr(module, "summary", None)
    text = summary(figures, scale) if callable(summary) else default_summary(name, scale, figures)
    print(f"{text} [{database['vendor']}; {result['machine']['nproc']} CPUs] → {path.relative_to(ROOT)}")
    return path


def main(argv: list[str] | None = None) -> int:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--only", metavar="NAME", help="run just this benchmark")
    parser.add_argument("--scale", choices=SCALES, default="small", help="data size (default: small)")
    parser.add_argument("--tag", default="", help="suffix for the result file: <name>_<tag>.json")
    parser.add_argument("--keep-db", action="store_true", help="keep the throwaway SQLite file afterwards")
    parser.add_argument("--force", action="store_true", help="allow a BENCH_DATABASE_URL without 'bench'")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    if args.tag and not args.tag.replace("-", "").replace("_", "").isalnum():
        parser.error("--tag may hold only letters, digits, '-' and '_'")

    names = discover()
    if args.list:
        print("\n".join(names))
        return 0
    if args.only:
        args.only = args.only.replace("-", "_")  # the issues spell names with dashes (posting-search)
        if args.only not in names:
            parser.error(f"no benchmark {args.only!r}; have: {', '.join(names) or 'none'}")
        try:
            run_one(args.only, args.scale, args.tag, keep_db=args.keep_db, force=args.force)
        except ScaleMissing as exc:
            print(f"[bench] {exc}: skipped", file=sys.stderr)
            return SKIPPED
        return 0

    failed = []
    for name in names:
        cmd = [sys.executable, "-m", "bench.run", "--only", name, "--scale", args.scale]
        cmd += ["--tag", args.tag] if args.tag else []
        cmd += ["--keep-db"] if args.keep_db else []
        cmd += ["--force"] if args.force else []
        if subprocess.run(cmd, cwd=ROOT, check=False).returncode not in (0, SKIPPED):
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
