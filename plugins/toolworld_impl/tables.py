"""Domain ``tables``: named in-memory tables (``state["tables"]``: name -> list of row dicts).

Derived tables (filtered, sorted) are stored under new names, so a chain of table operations
leaves a visible trace in the final state.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Mapping
from typing import Any

from steps_agents.plugins.toolworld_impl.base import (
    NoValue,
    Param,
    Tool,
    need,
    pick,
    registrar,
    round_num,
)

from steps_agents.worlds import ToolError

TOOLS: list[Tool] = []
tool = registrar(TOOLS, "tables")

OPS = ["==", "!=", ">", ">=", "<", "<="]
FUNCS = ["sum", "mean", "min", "max", "count"]
NAME = {"type": "string", "minLength": 1}


def _tables(state: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = state["tables"]
    return tables


def _table(state: Mapping[str, Any], name: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = need(_tables(state), str(name), "table")
    return rows


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    return list(rows[0]) if rows else []


def _column(rows: list[dict[str, Any]], column: Any) -> str:
    if rows and str(column) not in rows[0]:
        raise ToolError(f"no column {column!r}; columns: {', '.join(_columns(rows))}")
    return str(column)


def _numeric_columns(rows: list[dict[str, Any]]) -> list[str]:
    return [
        c
        for c in _columns(rows)
        if all(isinstance(r[c], (int, float)) and not isinstance(r[c], bool) for r in rows)
    ]


def s_table(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return str(pick(sorted(n for n, rows in _tables(state).items() if rows), rng))


def s_num_column(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return str(pick(_numeric_columns(_table(state, args.get("table"))), rng))


def s_any_column(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    rows = _table(state, args.get("table"))
    value = args.get("value")
    if isinstance(value, (int, float)) and not isinstance(value, bool):  # a fed threshold
        return str(pick(_numeric_columns(rows), rng))
    return str(pick(_columns(rows), rng))


def s_op(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    rows = _table(state, args.get("table"))
    numeric = str(args.get("column")) in _numeric_columns(rows)
    return str(pick([">", ">=", "<", "<="] if numeric else ["==", "!="], rng))


def s_value(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> Any:
    rows = _table(state, args.get("table"))
    column = str(args.get("column"))
    values = sorted({r[column] for r in rows if column in r}, key=str)
    if len(values) < 2:
        raise NoValue("column has a single value")
    if column in _numeric_columns(rows):  # a round threshold inside the column's range
        middle = sorted(values)[len(values) // 2]
        return int(middle) if abs(middle) >= 10 else middle
    return pick(values, rng)


def s_order(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return str(pick(["ascending", "descending"], rng))


def s_func(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return str(pick(FUNCS, rng))


def _matches(cell: Any, op: str, value: Any) -> bool:
    if op in {"==", "!="}:
        equal = str(cell).casefold() == str(value).casefold()
        return equal if op == "==" else not equal
    if (
        not isinstance(cell, (int, float))
        or isinstance(value, bool)
        or not isinstance(value, (int, float))
    ):
        raise ToolError(f"operator {op} needs a numeric column and a numeric value")
    return {">": cell > value, ">=": cell >= value, "<": cell < value, "<=": cell <= value}[op]


def _store(state: dict[str, Any], base: str, suffix: str, rows: list[dict[str, Any]]) -> str:
    name = f"{base}_{suffix}"
    tables = _tables(state)
    n = 2
    while name in tables:
        name = f"{base}_{suffix}{n}"
        n += 1
    tables[name] = rows
    return name


@tool(
    "table_list_tables",
    "All tables with their row counts, sorted by name.",
    returns="list[record:table_info]",
    fields={"table": "table_name", "rows": "integer"},
    phrase="list the available tables",
)
def list_tables(state: dict[str, Any], args: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"table": name, "rows": len(rows)} for name, rows in sorted(_tables(state).items())]


@tool(
    "table_columns",
    "Column names of a table, in order.",
    params=[Param("table", NAME, s_table, "table_name")],
    returns="list[string]",
    phrase="list the columns of the table {table}",
)
def columns(state: dict[str, Any], args: Mapping[str, Any]) -> list[str]:
    return _columns(_table(state, args["table"]))


@tool(
    "table_count_rows",
    "Number of rows in a table.",
    params=[Param("table", NAME, s_table, "table_name")],
    returns="integer",
    phrase="count the rows of the table {table}",
    rule="numeric",
)
def count_rows(state: dict[str, Any], args: Mapping[str, Any]) -> int:
    return len(_table(state, args["table"]))


@tool(
    "table_filter",
    "Keep the rows where `column op value` holds (op: == != > >= < <=; == and != ignore case)."
    " Stores the result as a new table; returns its name and row count.",
    params=[
        Param("table", NAME, s_table, "table_name"),
        Param("column", NAME, s_any_column, None),
        Param("op", {"type": "string", "enum": OPS}, s_op, None),
        Param(
            "value",
            {"type": ["string", "number"]},
            s_value,
            "number",
            "A number, or text for == and !=",
        ),
    ],
    returns="record:table_info",
    fields={"table": "table_name", "rows": "integer"},
    phrase="filter the table {table} to the rows where {column} {op} {value} (saved as a new table)",
    mutates=True,
)
def filter_(state: dict[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    rows = _table(state, args["table"])
    column, op = _column(rows, args["column"]), str(args["op"])
    kept = [dict(r) for r in rows if _matches(r[column], op, args["value"])]
    if not kept:
        raise ToolError("no row matches; the filtered table would be empty")
    return {"table": _store(state, str(args["table"]), "filtered", kept), "rows": len(kept)}


@tool(
    "table_sort",
    "Sort a table by a column; stores it as a new table and returns its name and row count.",
    params=[
        Param("table", NAME, s_table, "table_name"),
        Param("column", NAME, s_any_column, None),
        Param("order", {"type": "string", "enum": ["ascending", "descending"]}, s_order, None),
    ],
    returns="record:table_info",
    fields={"table": "table_name", "rows": "integer"},
    phrase="sort the table {table} by {column} in {order} order (saved as a new table)",
    mutates=True,
)
def sort(state: dict[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    rows = _table(state, args["table"])
    column = _column(rows, args["column"])
    ordered = sorted(
        (dict(r) for r in rows),
        key=lambda r: (str(type(r[column])), r[column]),
        reverse=args["order"] == "descending",
    )
    name = _store(state, str(args["table"]), "sorted", ordered)
    return {"table": name, "rows": len(ordered)}


@tool(
    "table_column_values",
    "The values of a numeric column, in row order.",
    params=[Param("table", NAME, s_table, "table_name"), Param("column", NAME, s_num_column, None)],
    returns="list[number]",
    phrase="get the values of the column {column} of the table {table}",
)
def column_values(state: dict[str, Any], args: Mapping[str, Any]) -> list[Any]:
    rows = _table(state, args["table"])
    column = _column(rows, args["column"])
    if column not in _numeric_columns(rows):
        raise ToolError(f"column {column!r} is not numeric")
    return [r[column] for r in rows]


@tool(
    "table_aggregate",
    "Aggregate a numeric column: sum, mean, min, max or count.",
    params=[
        Param("table", NAME, s_table, "table_name"),
        Param("column", NAME, s_num_column, None),
        Param("function", {"type": "string", "enum": FUNCS}, s_func, None),
    ],
    returns="number",
    phrase="compute the {function} of the column {column} of the table {table}",
    rule="numeric",
)
def aggregate(state: dict[str, Any], args: Mapping[str, Any]) -> float | int:
    rows = _table(state, args["table"])
    column = _column(rows, args["column"])
    if column not in _numeric_columns(rows):
        raise ToolError(f"column {column!r} is not numeric")
    values = [float(r[column]) for r in rows]
    fn = str(args["function"])
    if fn == "count":
        return len(values)
    if not values:
        raise ToolError("the table is empty")
    result = {"sum": sum(values), "min": min(values), "max": max(values)}.get(fn)
    return round_num(statistics.fmean(values) if result is None else result)
