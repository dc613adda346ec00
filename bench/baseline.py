"""Child process: the naive baseline of `sybil evaluate`, run on its own.

Connected components over the account-identifier graph, every shared identifier linking, hubs
included (`sybil.evaluate._baseline_flags`). It reads the identifiers the pipeline extracted
(`features.account_keys` in the warehouse), so its time leaves out reading and normalising the
input: the bench reports it beside the pipeline's own ingest + staging + keys time.
`python -m bench.baseline --warehouse FILE --out FILE.json`.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def run_baseline(warehouse: Path, *, min_size: int = 2) -> dict[str, object]:
    from sybil.evaluate import _baseline_flags, warehouse_config
    from sybil.warehouse import open_published

    # As `sybil evaluate` reads it: within the pipeline's memory limit.
    con = open_published(warehouse, config=warehouse_config())
    try:
        signups = con.sql(
            "select account_id::varchar as account_id, account_idx::bigint as account_idx "
            "from staging.signups"
        ).pl()
        keys = con.execute("select count(*) from features.account_keys").fetchall()[0]
        flags = _baseline_flags(con, signups, min_size)
    finally:
        con.close()
    return {
        "accounts": int(signups.height),
        "account_keys": int(keys[0]),
        "flagged": int(np.count_nonzero(flags)),
        "min_size": min_size,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline", description=__doc__)
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = run_baseline(args.warehouse)
    result["work_seconds"] = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
