"""Seeded initial states of toolworld: a small office with files, a calendar, an inbox,
contacts, orders and inventory, tables and exchange rates.

``new_state(seed)`` is a pure function of the seed (``random.Random(seed)`` only). Sizes are
small on purpose (a few items per domain): tasks stay readable and quick to execute.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

FIRST = [
    "Ana",
    "Ben",
    "Chen",
    "Dara",
    "Eli",
    "Fatima",
    "Goran",
    "Hana",
    "Ivo",
    "Jonas",
    "Kemi",
    "Lena",
]
LAST = ["Ortiz", "Keller", "Wang", "Novak", "Haddad", "Silva", "Berg", "Moreau", "Sato", "Petrov"]
COMPANIES = ["acme", "globex", "initech", "umbrella", "stark"]
CITIES = ["Lisbon", "Berlin", "Osaka", "Toronto", "Nairobi", "Lyon", "Porto", "Oslo"]
PRODUCTS = [
    "USB-C cable",
    "desk lamp",
    "notebook",
    "wireless mouse",
    "monitor stand",
    "headset",
    "webcam",
    "keyboard",
    "water bottle",
    "backpack",
    "power bank",
    "label printer",
]
EVENT_TITLES = [
    "Budget review",
    "Design sync",
    "Client call",
    "Team lunch",
    "Sprint planning",
    "Vendor demo",
    "Hiring panel",
    "Quarterly review",
    "1:1 check-in",
    "Release retro",
]
TOPICS = ["invoice", "shipment", "budget", "offsite", "contract", "report", "renewal", "refund"]
PROJECTS = ["atlas", "beacon", "comet", "delta", "ember"]
REGIONS = ["north", "south", "east", "west"]
MONTHS = ["jan", "feb", "mar", "apr"]
DEPARTMENTS = ["sales", "support", "research", "finance"]
STATUSES = ["pending", "shipped", "delivered", "cancelled"]
BASE_RATES = {"EUR": 1.0, "USD": 1.08, "GBP": 0.86, "JPY": 161.2, "CHF": 0.95, "SEK": 11.4}


def _files(rng: random.Random, people: list[dict[str, Any]], today: dt.date) -> dict[str, str]:
    p = [person["name"] for person in people]
    e = [person["email"] for person in people]
    d = [(today + dt.timedelta(days=rng.randint(1, 20))).isoformat() for _ in range(4)]
    proj = rng.sample(PROJECTS, 2)
    files = {
        "/home/notes/todo.txt": "\n".join(
            [
                f"call {p[0]} about the {rng.choice(TOPICS)} before {d[0]}",
                f"order {rng.randint(3, 40)} {rng.choice(PRODUCTS)}s for the {proj[0]} team",
                f"send the {rng.choice(TOPICS)} summary to {e[1]}",
                f"book travel to {rng.choice(CITIES)} for {d[1]}",
            ]
        ),
        "/home/notes/meeting.txt": (
            f"Meeting with {p[2]} and {p[3]} on {d[2]}. Budget agreed at {rng.randint(12, 90) * 100}"
            f" EUR for {proj[1]}. Follow up with {e[2]} by {d[3]}. {rng.randint(4, 15)} action items"
            f" remain open; {rng.randint(1, 3)} are blocked."
        ),
        "/home/reports/q1_summary.txt": (
            f"Revenue in January was {rng.randint(40, 90) * 1000 + rng.randint(0, 999)} EUR, in"
            f" February {rng.randint(40, 90) * 1000 + rng.randint(0, 999)} EUR and in March"
            f" {rng.randint(40, 90) * 1000 + rng.randint(0, 999)} EUR. Headcount grew from"
            f" {rng.randint(20, 30)} to {rng.randint(31, 45)}. Churn was {rng.randint(2, 9)}.{rng.randint(0, 9)}"
            " percent."
        ),
        "/home/reports/expenses.csv": "item,amount\n"
        + "\n".join(
            f"{rng.choice(PRODUCTS)},{rng.randint(5, 400)}.{rng.randint(0, 99):02d}"
            for _ in range(5)
        ),
        f"/home/projects/{proj[0]}/readme.md": (
            f"# {proj[0].title()}\nOwner: {e[3]}\nDeadline: {d[1]}\nThe {proj[0]} project ships"
            f" {rng.randint(2, 9)} features to {rng.choice(CITIES)} customers."
        ),
        "/home/travel/itinerary.txt": "\n".join(
            f"{(today + dt.timedelta(days=3 * i + 2)).isoformat()} {city} {rng.randint(80, 950)} km"
            for i, city in enumerate(rng.sample(CITIES, 3))
        ),
    }
    return files


def new_state(seed: int) -> dict[str, Any]:
    """A fresh initial state; equal seeds give equal states."""
    rng = random.Random(seed)
    today = dt.date(2026, 3, 2) + dt.timedelta(days=rng.randrange(0, 60))
    people: list[dict[str, Any]] = []
    for first, last in zip(rng.sample(FIRST, 7), rng.sample(LAST, 7), strict=True):
        company = rng.choice(COMPANIES)
        people.append(
            {
                "name": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower()}@{company}.com",
                "phone": f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
                "city": rng.choice(CITIES),
                "company": company,
            }
        )
    contacts = {person["name"]: person for person in people}

    events: dict[str, Any] = {}
    for i in range(8):
        day = today + dt.timedelta(days=rng.randint(0, 6))
        start = f"{rng.randint(9, 15):02d}:{rng.choice(['00', '30'])}"
        eid = f"ev{i + 1}"
        events[eid] = {
            "id": eid,
            "title": rng.choice(EVENT_TITLES),
            "date": day.isoformat(),
            "start": start,
            "duration": rng.choice([30, 45, 60, 90]),
            "organizer": rng.choice(people)["email"],
        }

    emails: dict[str, Any] = {}
    for i in range(8):
        sender = rng.choice(people)
        topic = rng.choice(TOPICS)
        number = rng.randint(100, 9999)
        day = today - dt.timedelta(days=rng.randint(0, 14))
        due = today + dt.timedelta(days=rng.randint(2, 25))
        mid = f"m{i + 1}"
        emails[mid] = {
            "id": mid,
            "from": sender["email"],
            "subject": f"{topic.title()} {number}",
            "body": (
                f"Hi, about the {topic} {number}: the amount is {rng.randint(50, 5000)}."
                f"{rng.randint(0, 99):02d} EUR and it is due on {due.isoformat()}."
                f" Please copy {rng.choice(people)['email']}. Thanks, {sender['name'].split()[0]}"
            ),
            "date": day.isoformat(),
            "read": rng.random() < 0.4,
        }

    inventory: dict[str, Any] = {}
    for name in rng.sample(PRODUCTS, 8):
        sku = f"SKU-{rng.randint(100, 999)}"
        while sku in inventory:
            sku = f"SKU-{rng.randint(100, 999)}"
        inventory[sku] = {
            "sku": sku,
            "name": name,
            "stock": rng.randint(0, 120),
            "price": round(rng.uniform(2.5, 199.99), 2),
            "reorder_level": rng.randint(10, 30),
        }
    skus = list(inventory)
    orders: dict[str, Any] = {}
    for i in range(10):
        sku = rng.choice(skus)
        oid = f"O-{1001 + i}"
        orders[oid] = {
            "id": oid,
            "customer": rng.choice(people)["name"],
            "sku": sku,
            "qty": rng.randint(1, 12),
            "unit_price": inventory[sku]["price"],
            "status": rng.choice(STATUSES),
            "date": (today - dt.timedelta(days=rng.randint(0, 30))).isoformat(),
        }

    tables = {
        "sales": [
            {
                "region": r,
                "month": m,
                "units": rng.randint(10, 500),
                "revenue": round(rng.uniform(1e3, 5e4), 2),
            }
            for r in REGIONS
            for m in rng.sample(MONTHS, 2)
        ],
        "employees": [
            {
                "name": person["name"],
                "department": rng.choice(DEPARTMENTS),
                "salary": rng.randint(40, 120) * 1000,
                "years": rng.randint(0, 15),
            }
            for person in people
        ],
        "weather": [
            {
                "city": city,
                "day": (today + dt.timedelta(days=i)).isoformat(),
                "temp_c": round(rng.uniform(-5, 32), 1),
                "rain_mm": round(rng.uniform(0, 20), 1),
            }
            for i, city in enumerate(rng.sample(CITIES, 6))
        ],
    }
    rates = {
        code: round(rate * rng.uniform(0.97, 1.03), 4) if code != "EUR" else 1.0
        for code, rate in BASE_RATES.items()
    }
    return {
        "today": today.isoformat(),
        "fs": _files(rng, people, today),
        "calendar": {"events": events, "next_id": len(events) + 1},
        "inbox": {"emails": emails, "sent": [], "next_id": len(emails) + 1},
        "contacts": contacts,
        "inventory": inventory,
        "orders": {"orders": orders, "next_id": 1001 + len(orders)},
        "tables": tables,
        "rates": rates,
    }
