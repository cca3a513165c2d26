"""Benchmarks: speed and memory targets are met here, not in timed unit tests.

``python -m bench.run`` (or ``make bench``) runs every ``bench/bench_<name>.py`` module; see bench/README.md.
"""
