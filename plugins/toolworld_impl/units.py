"""Domain ``units``: unit and currency conversion (rates live in ``state["rates"]``, per EUR)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from steps_agents.plugins.toolworld_impl.base import (
    Param,
    Tool,
    need,
    num,
    pick,
    registrar,
    round_num,
)

from steps_agents.worlds import ToolError

TOOLS: list[Tool] = []
tool = registrar(TOOLS, "units")

# unit -> (dimension, factor to the dimension's base unit); temperatures are affine, below.
LINEAR: dict[str, tuple[str, float]] = {
    "m": ("length", 1.0),
    "km": ("length", 1000.0),
    "mi": ("length", 1609.344),
    "ft": ("length", 0.3048),
    "cm": ("length", 0.01),
    "kg": ("mass", 1.0),
    "g": ("mass", 0.001),
    "lb": ("mass", 0.45359237),
    "oz": ("mass", 0.028349523125),
    "l": ("volume", 1.0),
    "ml": ("volume", 0.001),
    "gal": ("volume", 3.785411784),
    "min": ("time", 60.0),
    "h": ("time", 3600.0),
    "s": ("time", 1.0),
    "day": ("time", 86400.0),
}
TEMPERATURE = {"C", "F", "K"}
UNITS = sorted(LINEAR) + sorted(TEMPERATURE)


def _to_kelvin(value: float, unit: str) -> float:
    return {"C": value + 273.15, "F": (value - 32) * 5 / 9 + 273.15, "K": value}[unit]


def _from_kelvin(value: float, unit: str) -> float:
    return {"C": value - 273.15, "F": (value - 273.15) * 9 / 5 + 32, "K": value}[unit]


def s_amount(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> float | int:
    return rng.choice([rng.randint(5, 500), round(rng.uniform(1, 100), 1)])


def s_from_unit(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return str(pick(UNITS, rng))


def s_to_unit(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    source = str(args.get("from_unit"))
    if source in TEMPERATURE:
        return str(pick(sorted(TEMPERATURE - {source}), rng))
    dim = LINEAR[source][0]
    return str(pick([u for u, (d, _) in sorted(LINEAR.items()) if d == dim and u != source], rng))


def s_currency(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return str(pick(sorted(state["rates"]), rng))


def s_to_currency(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return str(pick(sorted(set(state["rates"]) - {args.get("from_currency")}), rng))


def s_minutes(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> int:
    return rng.randint(20, 600)


@tool(
    "units_convert",
    "Convert a quantity between units of length (m km mi ft cm), mass (kg g lb oz), volume"
    " (l ml gal), time (s min h day) or temperature (C F K). Rounded to 4 decimals.",
    params=[
        Param("value", {"type": "number"}, s_amount, "number"),
        Param("from_unit", {"type": "string", "enum": UNITS}, s_from_unit, None),
        Param("to_unit", {"type": "string", "enum": UNITS}, s_to_unit, None),
    ],
    returns="number",
    phrase="convert a quantity of {value} from the unit {from_unit} to {to_unit}",
    rule="numeric",
)
def convert(state: dict[str, Any], args: Mapping[str, Any]) -> float | int:
    value = num(args["value"], "value")
    source, target = str(args["from_unit"]), str(args["to_unit"])
    if source in TEMPERATURE and target in TEMPERATURE:
        return round_num(_from_kelvin(_to_kelvin(value, source), target))
    if source not in LINEAR or target not in LINEAR or LINEAR[source][0] != LINEAR[target][0]:
        raise ToolError(f"cannot convert {source} to {target}")
    return round_num(value * LINEAR[source][1] / LINEAR[target][1])


@tool(
    "units_currency",
    "Convert an amount between currencies at today's rates. Rounded to 2 decimals.",
    params=[
        Param("amount", {"type": "number"}, s_amount, "number"),
        Param("from_currency", {"type": "string"}, s_currency, None, "ISO code such as EUR"),
        Param("to_currency", {"type": "string"}, s_to_currency, None, "ISO code such as USD"),
    ],
    returns="number",
    phrase="convert an amount of {amount} from the currency {from_currency} to {to_currency}",
    rule="numeric",
)
def currency(state: dict[str, Any], args: Mapping[str, Any]) -> float | int:
    rates = state["rates"]
    source = need(rates, str(args["from_currency"]).upper(), "currency")
    target = need(rates, str(args["to_currency"]).upper(), "currency")
    return round_num(num(args["amount"], "amount") / source * target, 2)


@tool(
    "units_exchange_rate",
    "Today's exchange rate: units of `to_currency` per one `from_currency` (4 decimals).",
    params=[
        Param("from_currency", {"type": "string"}, s_currency, None, "ISO code such as EUR"),
        Param("to_currency", {"type": "string"}, s_to_currency, None, "ISO code such as USD"),
    ],
    returns="number",
    phrase="look up today's exchange rate from {from_currency} to {to_currency}",
    rule="numeric",
)
def exchange_rate(state: dict[str, Any], args: Mapping[str, Any]) -> float | int:
    rates = state["rates"]
    source = need(rates, str(args["from_currency"]).upper(), "currency")
    target = need(rates, str(args["to_currency"]).upper(), "currency")
    return round_num(target / source)


@tool(
    "units_format_minutes",
    "Write a number of minutes (rounded to whole minutes) as hours and minutes: 135 -> '2h 15m'.",
    params=[Param("minutes", {"type": "number", "minimum": 0}, s_minutes, "number")],
    returns="string",
    phrase="write {minutes} minutes as hours and minutes",
)
def format_minutes(state: dict[str, Any], args: Mapping[str, Any]) -> str:
    minutes = int(round(num(args["minutes"], "minutes")))
    return f"{minutes // 60}h {minutes % 60:02d}m"
