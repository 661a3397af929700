"""Domain ``calendar``: dates arithmetic and a calendar of events (``state["calendar"]``)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from typing import Any

from steps_agents.plugins.toolworld_impl.base import Param, Tool, need, pick, registrar

from steps_agents.worlds import ToolError

TOOLS: list[Tool] = []
tool = registrar(TOOLS, "calendar")

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
NEW_TITLES = [
    "Planning session",
    "Customer follow-up",
    "Budget check",
    "Design review",
    "Offsite prep",
]
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
TIME = {"type": "string", "pattern": r"^\d{2}:\d{2}$"}
EVENT_ID = {"type": "string"}


def parse_date(value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ToolError(f"invalid date {value!r}: use YYYY-MM-DD") from None


def _minutes(value: Any) -> int:
    text = str(value)
    try:
        hours, minutes = text.split(":")
        total = int(hours) * 60 + int(minutes)
    except ValueError:
        raise ToolError(f"invalid time {value!r}: use HH:MM") from None
    if not 0 <= total < 24 * 60:
        raise ToolError(f"invalid time {value!r}")
    return total


def _hhmm(total: int) -> str:
    return f"{total // 60:02d}:{total % 60:02d}"


def _events(state: Mapping[str, Any]) -> dict[str, Any]:
    events: dict[str, Any] = state["calendar"]["events"]
    return events


def s_date(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    today = parse_date(state["today"])
    return (today + dt.timedelta(days=rng.randint(-10, 20))).isoformat()


def s_event_date(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return str(pick(sorted({e["date"] for e in _events(state).values()}), rng))


def s_days(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> int:
    # forward only: "the date -3 days after 2026-05-04" is no way to ask (the tool still takes
    # negative days from an agent)
    return rng.choice([2, 3, 5, 7, 10, 14, 21, 30, 45])


def s_event_id(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return str(pick(sorted(_events(state)), rng))


def s_title(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return str(pick(NEW_TITLES, rng))


def s_time(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return f"{rng.randint(9, 16):02d}:{rng.choice(['00', '30'])}"


def s_duration(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> int:
    return int(rng.choice([30, 45, 60, 90]))


# The typed fields of an event record, shared by every tool that returns one (the composer
# chains tools through them).
EVENT_BRIEF_FIELDS = {
    "id": "event_id",
    "title": "string",
    "date": "date",
    "start": "time",
    "duration": "integer",
}
EVENT_FIELDS = {**EVENT_BRIEF_FIELDS, "organizer": "email"}


@tool(
    "dates_add_days",
    "Add a number of days (negative to go back) to a date. Returns YYYY-MM-DD.",
    params=[
        Param("date", DATE, s_date, "date", "Start date, YYYY-MM-DD"),
        Param("days", {"type": "integer", "minimum": -3650, "maximum": 3650}, s_days, "integer"),
    ],
    returns="date",
    phrase="add {days} days to the date {date}",
)
def add_days(state: dict[str, Any], args: Mapping[str, Any]) -> str:
    return (parse_date(args["date"]) + dt.timedelta(days=int(args["days"]))).isoformat()


@tool(
    "dates_days_between",
    "Number of days from start to end (negative if end is earlier).",
    params=[
        Param("start", DATE, s_date, "date", "YYYY-MM-DD"),
        Param("end", DATE, s_date, "date", "YYYY-MM-DD"),
    ],
    returns="integer",
    phrase="count the days from {start} to {end}",
    rule="numeric",
)
def days_between(state: dict[str, Any], args: Mapping[str, Any]) -> int:
    return (parse_date(args["end"]) - parse_date(args["start"])).days


@tool(
    "dates_weekday",
    "The weekday name of a date (Monday ... Sunday).",
    params=[Param("date", DATE, s_date, "date", "YYYY-MM-DD")],
    returns="weekday",
    phrase="find the weekday of {date}",
)
def weekday(state: dict[str, Any], args: Mapping[str, Any]) -> str:
    return WEEKDAYS[parse_date(args["date"]).weekday()]


@tool(
    "calendar_list_events",
    "The next events from a date on (that day included): at most three, in date and time order,"
    " each with id, title, date, start time and duration in minutes.",
    params=[Param("date", DATE, s_event_date, "date", "YYYY-MM-DD")],
    returns="list[record:event_brief]",
    fields=EVENT_BRIEF_FIELDS,
    phrase="list the next calendar events on or after {date}",
)
def list_events(state: dict[str, Any], args: Mapping[str, Any]) -> list[dict[str, Any]]:
    day = parse_date(args["date"]).isoformat()
    found = [e for e in _events(state).values() if e["date"] >= day]
    ordered = sorted(found, key=lambda e: (e["date"], _minutes(e["start"]), e["id"]))[:3]
    return [{k: e[k] for k in ("id", "title", "date", "start", "duration")} for e in ordered]


@tool(
    "calendar_get_event",
    "Details of one event: title, date, start (HH:MM), duration in minutes, organizer email.",
    params=[Param("event_id", EVENT_ID, s_event_id, "event_id", "Event id such as ev3")],
    returns="record:event",
    fields=EVENT_FIELDS,
    phrase="look up the calendar event {event_id}",
)
def get_event(state: dict[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    event = need(_events(state), str(args["event_id"]), "event")
    return {k: event[k] for k in ("id", "title", "date", "start", "duration", "organizer")}


@tool(
    "calendar_create_event",
    "Create an event; refused if it overlaps another event that day. Returns the new event.",
    params=[
        Param("title", {"type": "string", "minLength": 1}, s_title, "text"),
        Param("date", DATE, s_event_date, "date", "YYYY-MM-DD"),
        Param("start", TIME, s_time, "time", "HH:MM"),
        Param(
            "duration",
            {"type": "integer", "minimum": 5, "maximum": 480},
            s_duration,
            "integer",
            "minutes",
        ),
    ],
    returns="record:event",
    fields=EVENT_BRIEF_FIELDS,
    phrase="create a calendar event titled {title} on {date} at {start} lasting {duration} minutes",
    mutates=True,
)
def create_event(state: dict[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    day = parse_date(args["date"]).isoformat()
    start, length = _minutes(args["start"]), int(args["duration"])
    if start + length > 24 * 60:
        raise ToolError("the event must end before midnight")
    for e in _events(state).values():
        other = _minutes(e["start"])
        if e["date"] == day and start < other + e["duration"] and other < start + length:
            raise ToolError(f"overlaps {e['id']} ({e['title']} at {e['start']})")
    cal = state["calendar"]
    eid = f"ev{cal['next_id']}"
    cal["next_id"] += 1
    _events(state)[eid] = {
        "id": eid,
        "title": str(args["title"])[:80],
        "date": day,
        "start": _hhmm(start),
        "duration": length,
        "organizer": "me@office.example",
    }
    return dict(_events(state)[eid])


@tool(
    "calendar_cancel_event",
    "Cancel (delete) an event. Returns the number of events left that day.",
    params=[Param("event_id", EVENT_ID, s_event_id, "event_id", "Event id such as ev3")],
    returns="integer",
    phrase="cancel the calendar event {event_id}",
    mutates=True,
    rule="numeric",
)
def cancel_event(state: dict[str, Any], args: Mapping[str, Any]) -> int:
    event = need(_events(state), str(args["event_id"]), "event")
    del _events(state)[event["id"]]
    return sum(1 for e in _events(state).values() if e["date"] == event["date"])


@tool(
    "calendar_free_slots",
    "Start times (HH:MM, on the half hour, 09:00-17:00) where a meeting of the given length fits.",
    params=[
        Param("date", DATE, s_event_date, "date", "YYYY-MM-DD"),
        Param(
            "duration",
            {"type": "integer", "minimum": 5, "maximum": 480},
            s_duration,
            "integer",
            "minutes",
        ),
    ],
    returns="list[time]",
    phrase="find the free {duration}-minute slots on {date}",
    rule="set",
)
def free_slots(state: dict[str, Any], args: Mapping[str, Any]) -> list[str]:
    day = parse_date(args["date"]).isoformat()
    length = int(args["duration"])
    busy = [
        (_minutes(e["start"]), _minutes(e["start"]) + e["duration"])
        for e in _events(state).values()
        if e["date"] == day
    ]
    slots = []
    for start in range(9 * 60, 17 * 60 - length + 1, 30):
        if all(start >= b or start + length <= a for a, b in busy):
            slots.append(_hhmm(start))
    return slots


@tool(
    "calendar_reschedule",
    "Move an event to another date (same start time). Returns the updated event.",
    params=[
        Param("event_id", EVENT_ID, s_event_id, "event_id", "Event id such as ev3"),
        Param("date", DATE, s_date, "date", "New date, YYYY-MM-DD"),
    ],
    returns="record:event",
    fields=EVENT_FIELDS,
    phrase="move the calendar event {event_id} to {date}",
    mutates=True,
)
def reschedule(state: dict[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    event = need(_events(state), str(args["event_id"]), "event")
    event["date"] = parse_date(args["date"]).isoformat()
    return dict(event)
