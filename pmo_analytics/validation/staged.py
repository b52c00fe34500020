"""check_staged: the contract's rules applied to rows already read with its types (a partition of a
Parquet history, say), as check_table applies them to a file's."""
from __future__ import annotations

from pmo_analytics.ingest.discovery import Source
from pmo_analytics.validation.rules import apply_rules, duplicate_keys, rules_for, stage_columns
from pmo_analytics.validation.tablecheck import TableCheck

__all__ = ["check_staged"]


def check_staged(con, source: Source, typed: str, columns: list[str], raw: str | None = None,
                 extra_rules=(), contract_rules: bool = True, keys: bool = True, name: str | None = None,
                 params=None) -> TableCheck:
    """Stages and checks rows already read with the contract's types (a partition of a Parquet history,
    say) as check_table does a file's, into stg_<typed>.

    `typed` holds c0..cN, the contract `columns` in that order (DATE, DOUBLE or text), and any other
    columns, which the staged table keeps for `extra_rules`: more (column, severity, message SQL,
    condition, "stg" | "raw") rules. `raw` is the text copy c0..cN, row for row, when some value was
    parsed from text. Without `keys` duplicate keys are not looked for (rows of several snapshots
    staged together). `typed` may be a parenthesised query instead, with its `params`; the staged
    table is then stg_<name>. Without `contract_rules` (a table outside the contract) `typed` is
    checked as it is, by `extra_rules` alone, and `columns` are its column names.
    """
    check = TableCheck(source=source, stg=typed, raw=raw, header=list(columns),
                       mapping={c: i for i, c in enumerate(columns)})
    if not contract_rules:
        apply_rules(con, check, list(extra_rules))
        return check
    check.stg = f"stg_{name or typed}"
    con.sql(f"CREATE OR REPLACE TABLE {check.stg} AS SELECT {', '.join(stage_columns(check, typed=True))}, * "
            f"FROM {typed}", params=params)
    apply_rules(con, check, rules_for(check) + list(extra_rules))
    if keys:
        check.problems += duplicate_keys(con, check)
    return check
