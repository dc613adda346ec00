"""A thin asset whose table is one SQL file: `sql/<layer>/<name>.sql` -> `<layer>.<name>`."""

from collections.abc import Sequence

import dagster as dg

from pipelines.resources import Warehouse
from pipelines.sql import create_table, describe_sql


def sql_table_asset(
    schema: str,
    name: str,
    *,
    deps: Sequence[Sequence[str]],
    group_name: str,
    sql_name: str | None = None,
) -> dg.AssetsDefinition:
    sql_name = sql_name or f"{schema}/{name}"

    @dg.asset(
        key=[schema, name],
        deps=[list(d) for d in deps],
        group_name=group_name,
        description=describe_sql(sql_name),
        kinds={"duckdb"},
    )
    def _asset(warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            rows = create_table(con, f"{schema}.{name}", sql_name)
        return dg.MaterializeResult(metadata={"rows": rows})

    return _asset
