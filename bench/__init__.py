"""Benchmark harness (issue 4): the pipeline beside a floor, Splink 5 and the naive baseline.

`python -m bench`, `sybil bench` or `make bench`; see bench/run.py. Never part of `make test`.
"""
