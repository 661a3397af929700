"""Domains ``inbox`` (mail: ``state["inbox"]``) and ``contacts`` (``state["contacts"]``)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from steps_agents.plugins.toolworld_impl.base import (
    ANY_JSON,
    Param,
    Tool,
    as_text,
    need,
    pick,
    registrar,
)
from steps_agents.plugins.toolworld_impl.notes import mail_body, mail_subject

from steps_agents.worlds import ToolError

TOOLS: list[Tool] = []
mail = registrar(TOOLS, "inbox")
contact = registrar(TOOLS, "contacts")

EMAIL_FIELDS = {
    "id": "email_id",
    "from": "email",
    "subject": "string",
    "body": "text",
    "date": "date",
}
CONTACT_FIELDS = {
    "name": "person",
    "email": "email",
    "phone": "string",
    "city": "string",
    "company": "company",
}
NEW_PEOPLE = [
    ("Mira Lund", "mira.lund@initech.com"),
    ("Tomas Reyes", "tomas.reyes@acme.com"),
    ("Yuki Tan", "yuki.tan@globex.com"),
]


def _emails(state: Mapping[str, Any]) -> dict[str, Any]:
    emails: dict[str, Any] = state["inbox"]["emails"]
    return emails


def _contacts(state: Mapping[str, Any]) -> dict[str, Any]:
    contacts: dict[str, Any] = state["contacts"]
    return contacts


def s_query(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    words = sorted({e["subject"].split()[0].lower() for e in _emails(state).values()})
    return str(pick(words, rng))


def s_email_id(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return str(pick(sorted(_emails(state)), rng))


def s_address(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return str(pick(sorted(c["email"] for c in _contacts(state).values()), rng))


def s_subject(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return mail_subject(state, rng)


def s_body(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return mail_body(state, rng)


def s_name(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return str(pick(sorted(_contacts(state)), rng))


def s_company(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return str(pick(sorted({c["company"] for c in _contacts(state).values()}), rng))


def s_new_name(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return str(pick([n for n, _ in NEW_PEOPLE if n not in _contacts(state)], rng))


def s_new_email(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return dict(NEW_PEOPLE).get(str(args.get("name")), "new.person@acme.com")


@mail(
    "inbox_search",
    "Emails whose subject or body contains the query (case-insensitive): id, sender, subject;"
    " newest first.",
    params=[Param("query", {"type": "string", "minLength": 2}, s_query, "string")],
    returns="list[record:email_brief]",
    fields={"id": "email_id", "from": "email", "subject": "string"},
    phrase="search the inbox for {query}",
)
def search(state: dict[str, Any], args: Mapping[str, Any]) -> list[dict[str, Any]]:
    query = str(args["query"]).lower()
    found = [
        e
        for e in _emails(state).values()
        if query in e["subject"].lower() or query in e["body"].lower()
    ]
    ordered = sorted(found, key=lambda e: (e["date"], e["id"]), reverse=True)
    return [{"id": e["id"], "from": e["from"], "subject": e["subject"]} for e in ordered]


@mail(
    "inbox_read",
    "Read an email: sender, subject, body and date. Marks it as read.",
    params=[Param("email_id", {"type": "string"}, s_email_id, "email_id", "Id such as m3")],
    returns="record:email",
    fields=EMAIL_FIELDS,
    phrase="read the email {email_id}",
    mutates=True,
    rule="exact",
)
def read(state: dict[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    email = need(_emails(state), str(args["email_id"]), "email")
    email["read"] = True
    return {k: email[k] for k in ("id", "from", "subject", "body", "date")}


@mail(
    "inbox_count_unread",
    "Number of unread emails whose subject or body contains the query (case-insensitive);"
    ' the query "*" counts all unread emails.',
    params=[Param("query", {"type": "string", "minLength": 1}, s_query, "string")],
    returns="integer",
    phrase="count the unread emails whose subject or body mentions {query}",
    rule="numeric",
)
def count_unread(state: dict[str, Any], args: Mapping[str, Any]) -> int:
    query = str(args["query"]).lower()
    return sum(
        1
        for e in _emails(state).values()
        if not e["read"]
        and (query == "*" or query in e["subject"].lower() or query in e["body"].lower())
    )


@mail(
    "inbox_send",
    "Send an email. Returns the id of the sent message.",
    params=[
        Param("to", {"type": "string", "minLength": 3}, s_address, "email", "Recipient address"),
        Param("subject", {"type": "string"}, s_subject, "string"),
        Param("body", ANY_JSON, s_body, "any", "Message text (other values are written as JSON)"),
    ],
    returns="string",
    phrase="email {to} with the subject {subject} and the body {body}",
    mutates=True,
)
def send(state: dict[str, Any], args: Mapping[str, Any]) -> str:
    to = str(args["to"])
    if "@" not in to:
        raise ToolError(f"invalid address {to!r}")
    inbox = state["inbox"]
    sid = f"sent{inbox['next_id']}"
    inbox["next_id"] += 1
    inbox["sent"].append(
        {"id": sid, "to": to, "subject": str(args["subject"]), "body": as_text(args["body"])}
    )
    return sid


@mail(
    "inbox_archive",
    "Archive (remove from the inbox) an email. Returns the number of emails left.",
    params=[Param("email_id", {"type": "string"}, s_email_id, "email_id", "Id such as m3")],
    returns="integer",
    phrase="archive the email {email_id}",
    mutates=True,
    rule="numeric",
)
def archive(state: dict[str, Any], args: Mapping[str, Any]) -> int:
    need(_emails(state), str(args["email_id"]), "email")
    del _emails(state)[str(args["email_id"])]
    return len(_emails(state))


@contact(
    "contacts_find",
    "A contact by full name: name, email, phone, city, company.",
    params=[Param("name", {"type": "string"}, s_name, "person", "Full name")],
    returns="record:contact",
    fields=CONTACT_FIELDS,
    phrase="look up the contact {name}",
)
def find(state: dict[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    wanted = str(args["name"]).casefold()
    for name, person in _contacts(state).items():
        if name.casefold() == wanted:
            return dict(person)
    raise ToolError(f"contact {args['name']!r} not found")


@contact(
    "contacts_by_email",
    "The contact with an email address.",
    params=[Param("email", {"type": "string"}, s_address, "email")],
    returns="record:contact",
    fields=CONTACT_FIELDS,
    phrase="find the contact whose address is {email}",
)
def by_email(state: dict[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    wanted = str(args["email"]).casefold()
    for person in _contacts(state).values():
        if person["email"].casefold() == wanted:
            return dict(person)
    raise ToolError(f"no contact with address {args['email']!r}")


@contact(
    "contacts_at_company",
    "Names of the contacts working at a company, sorted.",
    params=[Param("company", {"type": "string"}, s_company, "company")],
    returns="list[person]",
    phrase="list the contacts who work at {company}",
    rule="set",
)
def at_company(state: dict[str, Any], args: Mapping[str, Any]) -> list[str]:
    wanted = str(args["company"]).casefold()
    return sorted(n for n, p in _contacts(state).items() if p["company"].casefold() == wanted)


@contact(
    "contacts_add",
    "Add a contact. Returns the number of contacts.",
    params=[
        Param("name", {"type": "string", "minLength": 1}, s_new_name, None),
        Param("email", {"type": "string", "minLength": 3}, s_new_email, "email"),
    ],
    returns="integer",
    phrase="add {name} with the address {email} to the contacts",
    mutates=True,
    rule="numeric",
)
def add(state: dict[str, Any], args: Mapping[str, Any]) -> int:
    name, email = str(args["name"]), str(args["email"])
    if name in _contacts(state):
        raise ToolError(f"{name!r} is already a contact")
    _contacts(state)[name] = {
        "name": name,
        "email": email,
        "phone": "",
        "city": "",
        "company": email.split("@")[-1].split(".")[0],
    }
    return len(_contacts(state))
