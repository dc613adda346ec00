"""A reader process for the concurrency test: reads the warehouse and the ban list in a loop
while runs publish, and logs what it saw, one JSON line per read.

usage: python probe_reader.py WAREHOUSE BAN_LIST_CSV LOG STOP_FILE
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

from sybil.warehouse import open_published

# Each must return zero: the published tables agree with each other.
CONSISTENCY = {
    "member_without_cluster": (
        "select count(*) from published.cluster_members as m "
        "anti join published.clusters as c using (cluster_id)"
    ),
    "size_mismatch": (
        "select count(*) from published.clusters as c left join (select cluster_id, count(*) as n "
        "from published.cluster_members group by all) as m using (cluster_id) "
        "where c.size <> coalesce(m.n, 0)"
    ),
    "ban_list_mismatch": (
        "select count(*) from ((select m.account_id from published.cluster_members as m "
        "join published.clusters as c using (cluster_id) where c.flagged "
        "except select account_id from staging.allowlist) "
        "except select account_id from published.ban_list)"
    ),
    "accounting": "select count(*) from staging.accounting where not adds_up",
}
FINGERPRINT = "select md5(string_agg(t::varchar, chr(10) order by t.rowid)) from published.{} as t"
TABLES = ("clusters", "cluster_members", "ban_list", "similarity_edges_packed", "account_features")


def read_once(warehouse: Path, hold: bool) -> dict[str, object]:
    con = open_published(warehouse, timeout=10)
    try:
        fingerprint = [con.sql(FINGERPRINT.format(t)).fetchall()[0][0] for t in TABLES]
        problems = {k: con.sql(q).fetchall()[0][0] for k, q in CONSISTENCY.items()}
        if hold:
            # The same connection, a moment later (a run may publish meanwhile): the same result.
            time.sleep(0.3)
            again = [con.sql(FINGERPRINT.format(t)).fetchall()[0][0] for t in TABLES]
            if again != fingerprint:
                problems["changed_under_open_connection"] = 1
    finally:
        con.close()
    return {"fingerprint": fingerprint, "problems": problems}


def main() -> None:
    warehouse, csv_path, log, stop = (Path(a) for a in sys.argv[1:5])
    n = 0
    with log.open("a") as out:
        while not stop.exists():
            n += 1
            entry: dict[str, object] = {"t": time.time()}
            try:
                entry.update(read_once(warehouse, hold=n % 5 == 0))
                entry["csv"] = hashlib.sha256(csv_path.read_bytes()).hexdigest()
            except Exception as exc:  # recorded, and the test fails on it
                entry["error"] = f"{type(exc).__name__}: {exc}"
            out.write(json.dumps(entry) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
