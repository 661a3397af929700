"""Domains ``math`` (arithmetic) and ``stats`` (descriptive statistics over lists of numbers)."""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Mapping
from typing import Any

from steps_agents.plugins.toolworld_impl.base import Param, Tool, num, registrar, round_num

from steps_agents.worlds import ToolError

TOOLS: list[Tool] = []
tool = registrar(TOOLS, "math")
stat = registrar(TOOLS, "stats")

NUMBER = {"type": "number"}
NUMBERS = {"type": "array", "items": {"type": "number"}, "minItems": 1, "maxItems": 1000}


def s_number(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> float | int:
    return rng.choice([rng.randint(2, 250), round(rng.uniform(1, 100), 1)])


def s_factor(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> float | int:
    return rng.choice([2, 3, 4, 12, 0.5, 1.2, 1.19, 0.85])


def s_digits(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> int:
    return rng.choice([0, 1, 2])


def s_numbers(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> list[int]:
    return [rng.randint(1, 99) for _ in range(rng.randint(3, 6))]


def _values(args: Mapping[str, Any]) -> list[float]:
    values = args["values"]
    if not isinstance(values, list) or not values:
        raise ToolError("values must be a non-empty list of numbers")
    return [num(v, "each value") for v in values]


@tool(
    "math_add",
    "a + b",
    params=[Param("a", NUMBER, s_number, "number"), Param("b", NUMBER, s_number, "number")],
    returns="number",
    phrase="add {a} and {b}",
    rule="numeric",
)
def add(state: dict[str, Any], args: Mapping[str, Any]) -> float | int:
    return round_num(num(args["a"], "a") + num(args["b"], "b"))


@tool(
    "math_subtract",
    "a - b",
    params=[Param("a", NUMBER, s_number, "number"), Param("b", NUMBER, s_number, "number")],
    returns="number",
    phrase="subtract {b} from {a}",
    rule="numeric",
)
def subtract(state: dict[str, Any], args: Mapping[str, Any]) -> float | int:
    return round_num(num(args["a"], "a") - num(args["b"], "b"))


@tool(
    "math_multiply",
    "a * b",
    params=[Param("a", NUMBER, s_number, "number"), Param("b", NUMBER, s_factor, "number")],
    returns="number",
    phrase="multiply {a} by {b}",
    rule="numeric",
)
def multiply(state: dict[str, Any], args: Mapping[str, Any]) -> float | int:
    return round_num(num(args["a"], "a") * num(args["b"], "b"))


@tool(
    "math_divide",
    "a / b, rounded to 4 decimals.",
    params=[Param("a", NUMBER, s_number, "number"), Param("b", NUMBER, s_factor, "number")],
    returns="number",
    phrase="divide {a} by {b}",
    rule="numeric",
)
def divide(state: dict[str, Any], args: Mapping[str, Any]) -> float | int:
    b = num(args["b"], "b")
    if b == 0:
        raise ToolError("division by zero")
    return round_num(num(args["a"], "a") / b)


@tool(
    "math_round",
    "Round x to the given number of decimal places (half to even).",
    params=[
        Param("x", NUMBER, s_number, "number"),
        Param("digits", {"type": "integer", "minimum": 0, "maximum": 6}, s_digits, None),
    ],
    returns="number",
    phrase="round {x} to {digits} decimal places",
    rule="numeric",
)
def round_(state: dict[str, Any], args: Mapping[str, Any]) -> float | int:
    return round_num(round(num(args["x"], "x"), int(args["digits"])), 6)


@tool(
    "math_percent_change",
    "Percentage change from old to new: 100 * (new - old) / old, rounded to 2 decimals.",
    params=[Param("old", NUMBER, s_number, "number"), Param("new", NUMBER, s_number, "number")],
    returns="number",
    phrase="compute the percentage change from {old} to {new}",
    rule="numeric",
)
def percent_change(state: dict[str, Any], args: Mapping[str, Any]) -> float | int:
    old = num(args["old"], "old")
    if old == 0:
        raise ToolError("old must not be zero")
    return round_num(100.0 * (num(args["new"], "new") - old) / old, 2)


@stat(
    "stats_mean",
    "Arithmetic mean of a list of numbers.",
    params=[Param("values", NUMBERS, s_numbers, "list[number]")],
    returns="number",
    phrase="compute the mean of {values}",
    rule="numeric",
)
def mean(state: dict[str, Any], args: Mapping[str, Any]) -> float | int:
    return round_num(statistics.fmean(_values(args)))


@stat(
    "stats_median",
    "Median of a list of numbers.",
    params=[Param("values", NUMBERS, s_numbers, "list[number]")],
    returns="number",
    phrase="compute the median of {values}",
    rule="numeric",
)
def median(state: dict[str, Any], args: Mapping[str, Any]) -> float | int:
    return round_num(statistics.median(_values(args)))


@stat(
    "stats_stdev",
    "Sample standard deviation of at least two numbers.",
    params=[Param("values", {**NUMBERS, "minItems": 2}, s_numbers, "list[number]")],
    returns="number",
    phrase="compute the sample standard deviation of {values}",
    rule="numeric",
)
def stdev(state: dict[str, Any], args: Mapping[str, Any]) -> float | int:
    values = _values(args)
    if len(values) < 2:
        raise ToolError("stdev needs at least two values")
    result = statistics.stdev(values)
    if math.isnan(result):
        raise ToolError("stdev is undefined for these values")
    return round_num(result)


@stat(
    "stats_sum",
    "Sum of a list of numbers.",
    params=[Param("values", NUMBERS, s_numbers, "list[number]")],
    returns="number",
    phrase="add up {values}",
    rule="numeric",
)
def sum_(state: dict[str, Any], args: Mapping[str, Any]) -> float | int:
    return round_num(math.fsum(_values(args)))


@stat(
    "stats_max",
    "Largest of a list of numbers.",
    params=[Param("values", NUMBERS, s_numbers, "list[number]")],
    returns="number",
    phrase="find the largest of {values}",
    rule="numeric",
)
def max_(state: dict[str, Any], args: Mapping[str, Any]) -> float | int:
    return round_num(max(_values(args)))


@stat(
    "stats_range",
    "max - min of a list of numbers.",
    params=[Param("values", NUMBERS, s_numbers, "list[number]")],
    returns="number",
    phrase="compute the range (max minus min) of {values}",
    rule="numeric",
)
def range_(state: dict[str, Any], args: Mapping[str, Any]) -> float | int:
    values = _values(args)
    return round_num(max(values) - min(values))
