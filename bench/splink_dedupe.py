"""Child process: Splink 5 deduplicating the same sign-ups on DuckDB, with ordinary settings.

Blocking on device, IP and email (exact); comparisons on email, name and phone from Splink's
comparison library; u estimated by random sampling (fixed seed), m by expectation maximisation
on two blocking rules; pairs predicted at match probability 0.9 and clustered at 0.9. Timed whole,
training included. `python -m bench.splink_dedupe --raw DIR --out FILE.json [...]`.

The input is the sign-ups file with the light cleaning any Splink user does first: rows without
an account id dropped, one row per account id, emails lower-cased and trimmed, phones reduced to
their digits, empty strings as nulls.

The result file is rewritten after each phase, so a run killed at the bench's timeout still says
how far it got.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.floor import connect, source
from pipelines.settings import DEFAULT_MEMORY_LIMIT

BLOCKING_COLUMNS: tuple[str, ...] = ("device_id", "ip", "email")
EM_BLOCKING_COLUMNS: tuple[str, ...] = ("device_id", "ip")
THRESHOLD = 0.9

_PREPARE = """
create or replace table splink_input as
with source as (
    select * from {source}
),
cleaned as (
    select
        account_id::varchar as unique_id,
        nullif(lower(trim(email::varchar)), '') as email,
        nullif(trim(name::varchar), '') as name,
        nullif(regexp_replace(phone::varchar, '[^0-9]', '', 'g'), '') as phone,
        nullif(trim(ip::varchar), '') as ip,
        nullif(trim(device_id::varchar), '') as device_id
    from source
    where account_id is not null
    qualify row_number() over (partition by account_id order by email) = 1
)
select * from cleaned
"""


def run_splink(
    raw: Path,
    *,
    out: Path,
    max_pairs: float,
    seed: int,
    memory_limit: str,
    threads: int,
    temp_dir: Path | None,
) -> dict[str, Any]:
    """Dedupe the sign-ups; returns phase timings and output sizes (also written to `out`)."""
    result: dict[str, Any] = {"phases": {}, "max_pairs": max_pairs, "seed": seed}

    def phase(name: str, started: float) -> None:
        result["phases"][name] = time.perf_counter() - started
        _write(out, result)

    t = time.perf_counter()
    import splink
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    result["splink_version"] = splink.__version__
    phase("import", t)

    t = time.perf_counter()
    src = source(raw, "signups")
    if src is None:
        raise FileNotFoundError(f"no signups table in {raw}")
    con = connect(":memory:", memory_limit=memory_limit, threads=threads, temp_dir=temp_dir)
    con.execute(_PREPARE.format(source=src))
    records = con.execute("select count(*) from splink_input").fetchall()[0]
    result["records"] = int(records[0])
    db_api = DuckDBAPI(connection=con)
    table = db_api.register("splink_input")
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=[block_on(c) for c in BLOCKING_COLUMNS],
        comparisons=[
            cl.EmailComparison("email"),
            cl.NameComparison("name"),
            cl.ExactMatch("phone"),
        ],
    )
    linker = Linker(table, settings, log_level=logging.WARNING)
    phase("load", t)

    t = time.perf_counter()
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    phase("estimate_u", t)

    t = time.perf_counter()
    for column in EM_BLOCKING_COLUMNS:
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(column), max_pairs=max_pairs
        )
    phase("estimate_m_em", t)

    t = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=THRESHOLD)
    pairs = con.execute(f"select count(*) from {predictions.physical_name}").fetchall()[0]
    result["pairs_predicted"] = int(pairs[0])
    phase("predict", t)

    t = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=THRESHOLD
    )
    sizes = con.execute(
        f"""
        with sizes as (
            select cluster_id, count(*) as size from {clusters.physical_name} group by cluster_id
        )
        select
            count(*) filter (where size >= 2),
            coalesce(sum(size) filter (where size >= 2), 0),
            coalesce(max(size), 0),
            count(*)
        from sizes
        """
    ).fetchall()[0]
    result["clusters_2plus"] = int(sizes[0])
    result["accounts_in_clusters_2plus"] = int(sizes[1])
    result["largest_cluster"] = int(sizes[2])
    result["clusters_total"] = int(sizes[3])
    phase("cluster", t)
    con.close()
    return result


def _write(path: Path, result: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(result, indent=1) + "\n")
    tmp.replace(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.splink_dedupe", description=__doc__)
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--max-pairs", type=float, default=1e7)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--memory-limit", default=DEFAULT_MEMORY_LIMIT)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--temp-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = run_splink(
        args.raw,
        out=args.out,
        max_pairs=args.max_pairs,
        seed=args.seed,
        memory_limit=args.memory_limit,
        threads=args.threads,
        temp_dir=args.temp_dir,
    )
    result["work_seconds"] = time.perf_counter() - started
    result["finished"] = True
    _write(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
