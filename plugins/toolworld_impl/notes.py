"""Texts a user hands the tools (a note to scan, a list to search, a line to add, a message body),
written from the state the task runs on: its people, dates, products and cities.

The texts used to be a few fixed strings, so every task that counted the words of a note showed
the same note. Each sampler here fills one of several sentence frames from the state with the
composer's ``rng``, so equal seeds still give equal tasks, and the text mentions what the tools
reading it look for (a short note has numbers and most frames dates and an address).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from typing import Any

__all__ = ["file_line", "line_list", "mail_body", "mail_subject", "short_note"]

PRODUCTS = ["boxes", "chairs", "laptops", "monitors", "desks", "printers", "headsets"]
TOPICS = ["invoice", "shipment", "budget", "offsite", "contract", "renewal", "refund"]
TEAMS = ["support", "sales", "research", "finance", "design"]
SHORT_FRAMES = (
    "Ship {n} {product} on {date} and {m} more on {date2}; contact {email}.",
    "Invoice {big} totals {amount} EUR, due {date}. Questions: {email}",
    "The {team} team closed {n} tickets this week and {m} last week.",
    "{first} lands in {city} on {date} and flies back on {date2}; the hotel is {amount} EUR.",
    "Please pay {amount} EUR for the {topic} by {date} and copy {email}.",
    "{first} booked {n} seats for the {city} offsite on {date}; budget {big} EUR.",
    "Renewal {big}: {n} licences at {amount} EUR each, starting {date}. Ask {email}.",
    "Moved the {topic} review to {date}; {n} people confirmed, {m} still pending.",
)
TODO = (
    "review the {topic} draft",
    "call {first} about the {topic}",
    "book a venue in {city}",
    "review the {city} {topic} numbers",
    "send the {topic} summary to {first}",
    "order {n} {product}",
    "check the {topic} with {first}",
    "plan the {city} visit",
)
SHOPPING = ("milk", "eggs", "coffee beans", "bread", "milk powder", "tea", "rice", "apples")
LOG = (
    "ERROR disk full on node {n}",
    "INFO backup done on node {m}",
    "ERROR timeout on node {m}",
    "WARN slow query on node {n}",
    "INFO deploy finished in {city}",
    "ERROR payment failed for order {big}",
)
LINES = (
    "Reviewed and approved.",
    "Follow up next week.",
    "Status: done.",
    "Checked with {first}.",
    "Waiting for {first} to reply.",
    "Moved to {date}.",
    "Sent to {email}.",
    "{first} approved it.",
)
BODIES = (
    "See you then.",
    "Numbers attached below.",
    "Thanks for the quick reply.",
    "Thanks, {first}. Talk soon.",
    "Can we move this to {date}?",
    "All set on my side.",
    "Please check and confirm.",
    "Looping in {first}.",
)
SUBJECTS = (
    "Quick update",
    "Numbers for review",
    "Follow-up",
    "Schedule change",
    "Summary",
    "{topic} next steps",
    "{city} trip",
    "Question about the {topic}",
)


def _slots(state: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    """Values a frame may name, drawn from the state (people, cities, today) and ``rng``."""
    people = sorted(state.get("contacts", {}).values(), key=lambda p: p["name"])
    person = rng.choice(people) if people else {"name": "Ana Ortiz", "email": "ana@acme.com"}
    today = dt.date.fromisoformat(str(state.get("today", "2026-03-02")))
    first = today + dt.timedelta(days=rng.randint(1, 20))
    cities = sorted({p.get("city", "Lisbon") for p in people}) or ["Lisbon"]
    return {
        "first": person["name"].split()[0],
        "email": person["email"],
        "city": rng.choice(cities),
        "date": first.isoformat(),
        "date2": (first + dt.timedelta(days=rng.randint(2, 9))).isoformat(),
        "n": rng.randint(3, 40),
        "m": rng.randint(2, 30),
        "big": rng.randint(1000, 9999),
        "amount": f"{rng.randint(40, 3000)}.{rng.randint(0, 99):02d}",
        "product": rng.choice(PRODUCTS),
        "topic": rng.choice(TOPICS),
        "team": rng.choice(TEAMS),
    }


def _fill(frames: tuple[str, ...], state: Mapping[str, Any], rng: random.Random) -> str:
    frame = frames[rng.randrange(len(frames))]
    text = frame.format(**_slots(state, rng))
    return text[:1].upper() + text[1:]


def short_note(state: Mapping[str, Any], rng: random.Random) -> str:
    """A one-line note with numbers and, in most frames, dates and an address."""
    return _fill(SHORT_FRAMES, state, rng)


def line_list(state: Mapping[str, Any], rng: random.Random) -> str:
    """A four-line list: to-dos, shopping or a log (the frames share words across lines)."""
    kind = rng.randrange(3)
    if kind == 1:
        items = rng.sample(SHOPPING, 4)
        return "\n".join(f"{item} {rng.randint(1, 12)}" for item in items)
    frames = rng.sample(TODO if kind == 0 else LOG, 4)
    return "\n".join(frame.format(**_slots(state, rng)) for frame in frames)


def file_line(state: Mapping[str, Any], rng: random.Random) -> str:
    """A short line to add to a file or to save as one."""
    return _fill(LINES, state, rng)


def mail_body(state: Mapping[str, Any], rng: random.Random) -> str:
    """A short message body."""
    return _fill(BODIES, state, rng)


def mail_subject(state: Mapping[str, Any], rng: random.Random) -> str:
    """A message subject."""
    return _fill(SUBJECTS, state, rng)
