"""What toolworld values *mean*, how a user names each tool's result, and what users want.

Three tables, kept as data so the composer, the ``plan`` judge and the goal instructions read
the same facts:

- **Semantic types** (:data:`TYPE_PARENTS`): a value's port type says what it is, not only its
  JSON type. *Labels* (a path, a date, a weekday, a person's name, an SKU, ...) descend from
  ``label``; free text (a file's contents, an email body, a line) is ``text``; meaningful numbers
  (``money``, ``quantity``, ``count``, ``days``, ``minutes``, ``percent``, ``rate``) descend from
  ``number``. A ``tally`` (the size of a file after an append, the number of emails left after an
  archive) is a by-product: it has no parent, so no generic operation accepts it and it is never
  an answer. Generic operations state the meanings they make sense on through their port types:
  text tools take ``text`` (so counting the characters of a weekday does not type-check), math
  and stats take ``number`` (money, quantities, counts; never a tally), a search takes
  ``string|label`` and a note or a message body takes :data:`CONTENT`. Opaque ids (``email_id``,
  ``order_id``, ...) feed only ports of their own kind. The JSON schema of every parameter is
  unchanged underneath: the tool still validates its arguments.
- **Nouns** (:data:`MEANING`): per tool, a noun phrase for its result in terms of its inputs
  (``"the weekday of {date}"``), and for a tool that changes the state the imperative a user
  would write (``"add {text} as a new line at the end of the file {path}"``); for a tool that
  returns a list, one element of it (``"the {nth} file under {directory}"``: "the first file
  under ...", not "the first of the files under ..."). Goal instructions
  compose these top-down from the answer (:mod:`steps_agents.worlds.goals`).
- **Intents** (:data:`INTENTS`): the answers a user of this world actually asks for, by meaning,
  with a phrase. The composer prefers plans whose answers are intents.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from steps_agents.plugins.toolworld_impl.base import Tool

__all__ = [
    "CONTENT",
    "PLAIN",
    "INTENTS",
    "KINDS",
    "MEANING",
    "OPERATIONS",
    "TYPE_PARENTS",
    "Meaningless",
    "operation_kind",
    "type_word",
    "value_kind",
    "with_meaning",
]

LABELS = [
    "path",
    "date",
    "time",
    "email",
    "sku",
    "person",
    "word",
    "weekday",
    "company",
    "title",
    "subject",
    "phone",
    "city",
    "status",
    "column",
    "duration_text",
]
NUMBERS = ("money", "quantity", "minutes", "percent", "rate")
TYPE_PARENTS: dict[str, str] = {
    **{label: "label" for label in LABELS},
    **{kind: "number" for kind in NUMBERS},
    "count": "integer",
    "days": "integer",
    "line": "text",
}
"""Child -> parent. ``label``, ``tally`` and the opaque ids have no parent; ``string`` -> ``text``
and ``integer`` -> ``number`` come from :data:`steps_agents.worlds.spec.DEFAULT_TYPE_PARENTS`."""

CONTENT = "text|label|number|list[text]|list[label]|list[number]"
"""What may be written into a note, a file or an email body: text, labels, meaningful numbers and
lists of them (never a tally, an opaque id or a whole record)."""

EVENT = {"title": "title", "duration": "minutes"}
CONTACT = {"phone": "phone", "city": "city"}
ORDER = {"total": "money", "unit_price": "money", "qty": "quantity", "status": "status"}

PLAIN = frozenset({"date", "person"})
"""Port types whose literals a user writes without quotes (a date, a name); a tool's ``plain``
adds parameters (a column, a status). Codes, paths and free text stay quoted."""

# tool -> {"noun": ..., "verb": ... (state changes), "item": one element of a list result,
# "plain": parameters written unquoted, "returns"/"fields"/"ports": retyping}
MEANING: dict[str, dict[str, Any]] = {
    "fs_list_files": {
        "noun": "the files under {directory}",
        "item": "the {nth} file under {directory}",
    },
    "fs_read_file": {"noun": "the contents of the file {path}"},
    "fs_write_file": {
        "noun": "the new file {path}",
        "verb": "save {content} as a new file {path}",
        "fields": {"size": "tally"},
        "ports": {"content": CONTENT},
    },
    "fs_append_file": {
        "noun": "the new size of the file {path}",
        "verb": "add {text} as a new line at the end of the file {path}",
        "returns": "tally",
        "ports": {"text": CONTENT},
    },
    "fs_file_size": {"noun": "the length in characters of the file {path}", "returns": "count"},
    "fs_search_files": {
        "noun": "the files that mention {query}",
        "item": "the {nth} file that mentions {query}",
        "ports": {"query": "string|label"},
    },
    "fs_copy_file": {
        "noun": "the copy",  # named once, where the copying is asked for
        "verb": "copy the file {source} to {destination}",
    },
    "fs_delete_file": {
        "noun": "the number of files left",
        "verb": "delete the file {path}",
        "returns": "tally",
    },
    "dates_add_days": {"noun": "the date {days} days after {date}", "ports": {"days": "days"}},
    "dates_days_between": {"noun": "the number of days from {start} to {end}", "returns": "days"},
    "dates_weekday": {"noun": "the weekday of {date}"},
    "calendar_list_events": {
        "noun": "the calendar events on or after {date}",
        "item": "the {nth} calendar event on or after {date}",
        "fields": EVENT,
    },
    "calendar_get_event": {"noun": "the calendar event {event_id}", "fields": EVENT},
    "calendar_create_event": {
        "noun": "the event you created",
        "verb": "put an event titled {title} in my calendar on {date} at {start} for {duration}"
        " minutes",
        "fields": EVENT,
        "ports": {"title": "title|subject", "duration": "minutes"},
    },
    "calendar_cancel_event": {
        "noun": "the number of events left",
        "verb": "cancel the calendar event {event_id}",
        "returns": "tally",
    },
    "calendar_free_slots": {
        "noun": "the free slots on {date} long enough for {duration} minutes",
        "item": "the {nth} free slot on {date} long enough for {duration} minutes",
        "ports": {"duration": "minutes"},
    },
    "calendar_reschedule": {
        "noun": "the moved event",
        "verb": "move the calendar event {event_id} to {date}",
        "fields": EVENT,
    },
    "math_add": {"noun": "the sum of {a} and {b}"},
    "math_subtract": {"noun": "{a} minus {b}"},
    "math_multiply": {"noun": "{a} times {b}"},
    "math_divide": {"noun": "{a} divided by {b}"},
    "math_round": {"noun": "{x} rounded to {digits} decimal places"},
    "math_percent_change": {
        "noun": "the percentage change from {old} to {new}",
        "returns": "percent",
    },
    "stats_mean": {"noun": "the average of {values}"},
    "stats_median": {"noun": "the median of {values}"},
    "stats_stdev": {"noun": "the sample standard deviation of {values}"},
    "stats_sum": {"noun": "the total of {values}"},
    "stats_max": {"noun": "the largest of {values}"},
    "stats_range": {"noun": "the spread (largest minus smallest) of {values}"},
    "text_word_count": {"noun": "the number of words in {text}", "returns": "count"},
    "text_char_count": {"noun": "the number of characters in {text}", "returns": "count"},
    "text_extract_numbers": {
        "noun": "the numbers mentioned in {text}",
        "item": "the {nth} number mentioned in {text}",
    },
    "text_extract_emails": {
        "noun": "the email addresses mentioned in {text}",
        "item": "the {nth} email address mentioned in {text}",
    },
    "text_extract_dates": {
        "noun": "the dates mentioned in {text}",
        "item": "the {nth} date mentioned in {text}",
    },
    "text_uppercase": {"noun": "{text} in capital letters"},
    "text_replace": {"noun": "{text} with every {old} replaced by {new}"},
    "text_find_lines": {
        "noun": "the lines of {text} that mention {keyword}",
        "item": "the {nth} line of {text} that mentions {keyword}",
        "returns": "list[line]",
    },
    "table_list_tables": {
        "noun": "the tables I have",
        "item": "the alphabetically {nth} table I have",
        "fields": {"rows": "count"},
    },
    "table_columns": {
        "noun": "the columns of the table {table}",
        "item": "the {nth} column of the table {table}",
        "returns": "list[column]",
    },
    "table_count_rows": {"noun": "the number of rows in the table {table}", "returns": "count"},
    "table_filter": {
        "noun": "the filtered table",
        "verb": "keep the rows of the table {table} where {column} {op} {value} as a new table",
        "plain": ("column", "op"),
        "fields": {"rows": "count"},
    },
    "table_sort": {
        "noun": "the sorted table",
        "verb": "sort the table {table} by {column} in {order} order into a new table",
        "plain": ("column", "order"),
        "fields": {"rows": "count"},
    },
    "table_column_values": {
        "noun": "the values in the {column} column of the table {table}",
        "item": "the {nth} value in the {column} column of the table {table}",
        "plain": ("column",),
    },
    "table_aggregate": {
        "noun": "the {function} of the {column} column in the table {table}",
        "plain": ("function", "column"),
    },
    "units_convert": {
        "noun": "{value} {from_unit} expressed in {to_unit}",
        "plain": ("from_unit", "to_unit"),
        "returns": "quantity",
        "ports": {"value": "quantity"},
    },
    "units_currency": {
        "noun": "{amount} {from_currency} in {to_currency}",
        "plain": ("from_currency", "to_currency"),
        "returns": "money",
        "ports": {"amount": "money"},
    },
    "units_exchange_rate": {
        "noun": "today's exchange rate from {from_currency} to {to_currency}",
        "plain": ("from_currency", "to_currency"),
        "returns": "rate",
    },
    "units_format_minutes": {
        "noun": "{minutes} minutes written as hours and minutes",
        "returns": "duration_text",
        "ports": {"minutes": "minutes"},
    },
    "inbox_search": {
        "noun": "the emails that mention {query}",
        "item": "the {nth} email that mentions {query}",
        "ports": {"query": "string|label"},
        "fields": {"subject": "subject"},
    },
    "inbox_read": {
        "noun": "the email {email_id}",
        "verb": "open the email {email_id}",
        "implied": True,  # marking it read goes without saying when its contents are asked for
        "fields": {"subject": "subject"},
    },
    "inbox_count_unread": {
        "noun": "the number of unread emails whose subject or body mentions {query}",
        "returns": "count",
        "ports": {"query": "string|label"},
    },
    "inbox_send": {
        "noun": "the message you sent",
        "verb": "email {to} with the subject {subject} and the body {body}",
        "returns": "message_id",
        "ports": {"body": CONTENT, "subject": "subject|title"},
    },
    "inbox_archive": {
        "noun": "the number of emails left",
        "verb": "archive the email {email_id}",
        "returns": "tally",
    },
    "contacts_find": {"noun": "the contact card of {name}", "fields": CONTACT},
    "contacts_by_email": {"noun": "the contact with the address {email}", "fields": CONTACT},
    "contacts_at_company": {
        "noun": "the people I know at {company}",
        "item": "the alphabetically {nth} person I know at {company}",
    },
    "contacts_add": {
        "noun": "the number of contacts",
        "verb": "add {name} with the address {email} to my contacts",
        "returns": "tally",
    },
    "orders_list": {
        "noun": "the {status} orders",
        "item": "the {nth} {status} order",
        "plain": ("status",),
        "fields": ORDER,
    },
    "orders_get": {"noun": "the order {order_id}", "fields": ORDER},
    "orders_total": {"noun": "the total value of the order {order_id}", "returns": "money"},
    "orders_by_customer": {
        "noun": "the orders of {customer}",
        "item": "the {nth} order of {customer}",
        "fields": ORDER,
    },
    "orders_update_status": {
        "noun": "the updated order",
        "verb": "mark the order {order_id} as {status}",
        "plain": ("status",),
        "fields": {"status": "status", "previous_status": "status"},
    },
    "orders_create": {
        "noun": "the new order",
        "verb": "order {qty} units of {sku} for {customer}",
        "fields": ORDER,
        "ports": {"qty": "quantity"},
    },
    "inventory_stock": {"noun": "the stock of {sku}", "returns": "quantity"},
    "inventory_price": {"noun": "the unit price of {sku}", "returns": "money"},
    "inventory_restock": {
        "noun": "the new stock level of {sku}",
        "verb": "add {qty} units to the stock of {sku}",
        "returns": "quantity",
        "ports": {"qty": "quantity"},
    },
    "inventory_low_stock": {
        "noun": "the items at or below their reorder level",
        "item": "the {nth} item at or below its reorder level",
        "fields": {"name": "title", "stock": "quantity"},
    },
}

INTENTS: tuple[tuple[str, str], ...] = (
    ("money", "what something costs or is worth"),
    ("quantity", "how much of something there is"),
    ("count", "how many things there are"),
    ("days", "how long until or between two dates"),
    ("date", "when something happens or is due"),
    ("weekday", "which day of the week something falls on"),
    ("person", "who is involved"),
    ("list[person]", "who is involved"),
    ("email", "whom to write to"),
    ("list[email]", "whom to write to"),
    ("list[time]", "when there is time free"),
    ("duration_text", "how long something lasts"),
    ("percent", "how much something changed"),
    ("list[path]", "where something is filed"),
    ("list[line]", "which notes mention something"),
    ("number", "a figure computed from the data"),
)
"""``(answer meaning, what the user wants)``: the composer prefers plans whose every answer
has one of these meanings (or that change the state)."""


def with_meaning(tool: Tool) -> Tool:
    """``tool`` retyped by :data:`MEANING`; a tool the table does not know raises ``KeyError``
    (every toolworld tool must say what its result means)."""
    entry = MEANING[tool.name]
    fields = {**tool.fields, **entry.get("fields", {})} if tool.fields else {}
    ports = entry.get("ports", {})
    params = tuple(replace(p, port=ports[p.name]) if p.name in ports else p for p in tool.params)
    return replace(
        tool,
        returns=entry.get("returns", tool.returns),
        fields=fields,
        params=params,
        rule=None if entry.get("returns") == "tally" else tool.rule,  # never an answer
        noun=entry["noun"],
        verb=entry.get("verb", ""),
        item=entry.get("item", ""),
    )


# -- kinds of quantities: which arithmetic means something ----------------------------------------

KINDS = frozenset({"money", "quantity", "count", "minutes", "days", "percent", "rate"})
"""Numbers with a unit. An operation's operands are these, ``"literal"`` (a number the user
states) or ``"number"`` (a computed figure of no kind: the median of numbers the user listed)."""

OPERATIONS: dict[str, str] = {
    "math_add": "same",
    "math_subtract": "same",
    "math_round": "same",
    "math_multiply": "product",
    "math_divide": "ratio",
    "math_percent_change": "change",
    **{name: "same" for name in ("stats_mean", "stats_median", "stats_sum", "stats_max")},
    **{name: "same" for name in ("stats_stdev", "stats_range")},
}
"""Tools whose result's kind follows from their operands' kinds (:func:`operation_kind`)."""

# (numerator, denominator) -> kind of the quotient; (factor, factor) -> kind of the product
PER_UNIT = {
    ("money", "quantity"): "money",
    ("money", "count"): "money",
    ("quantity", "count"): "quantity",
    ("minutes", "count"): "minutes",
    ("days", "count"): "days",
}
PRODUCTS = {
    frozenset({"money", "quantity"}): "money",
    frozenset({"money", "count"}): "money",
    frozenset({"quantity", "count"}): "quantity",
    frozenset({"minutes", "count"}): "minutes",
    frozenset({"money", "rate"}): "money",
}
WHOLE = frozenset({"count", "quantity", "minutes", "days"})
"""Kinds counted in whole units: scaling them by a fraction (the rows of a table times 1.19)
means nothing; by a whole number (twice the stock) it may."""


class Meaningless(ValueError):
    """An operation on operands whose kinds do not combine (stock divided by a duration)."""


def value_kind(port_type: str | None) -> str | None:
    """The kind of a value of this port type: one of :data:`KINDS`, ``"number"`` for a plain
    number, ``None`` for anything that is not a number."""
    if port_type in KINDS:
        return port_type
    return "number" if port_type in ("number", "integer") else None


def operation_kind(tool: str, operands: dict[str, list[tuple[str, Any]]]) -> str:
    """The kind of ``tool``'s result from its operands' ``(kind, value)`` pairs per parameter
    (kind ``"literal"`` for a number the user states); raise :class:`Meaningless` naming the
    clash. Same-kind operations (sums, averages, rounding) need one kind, products and ratios
    follow :data:`PER_UNIT` and :data:`PRODUCTS`, a whole-unit kind is scaled only by whole
    numbers, and an operation on stated numbers alone gives a plain ``"number"``."""
    rule = OPERATIONS[tool]
    if rule == "same":
        items = [pair for name, pairs in operands.items() if name != "digits" for pair in pairs]
        kinds = {kind for kind, _ in items if kind != "literal"}
        if len(kinds) > 1:
            raise Meaningless(f"{tool} combines {' and '.join(sorted(kinds))}")
        return kinds.pop() if kinds else "number"
    if rule == "change":
        kinds = {kind for pairs in operands.values() for kind, _ in pairs if kind != "literal"}
        if len(kinds) > 1:
            raise Meaningless(f"{tool} compares {' and '.join(sorted(kinds))}")
        return "percent"
    names = ("a", "b")
    (ka, va), (kb, vb) = (operands[n][0] for n in names)
    if ka == "literal" and kb == "literal":
        return "number"
    if "literal" in (ka, kb):
        kind, factor = (kb, va) if ka == "literal" else (ka, vb)
        whole = isinstance(factor, int) or (isinstance(factor, float) and factor.is_integer())
        if kind in WHOLE and not whole:
            raise Meaningless(f"{tool} scales a {kind} by the fraction {factor}")
        if rule == "ratio" and ka == "literal":
            raise Meaningless(f"{tool} divides a stated number by a {kb}")
        return kind
    if rule == "ratio":
        if ka == kb:
            return "number"  # a ratio of like quantities
        if (ka, kb) in PER_UNIT:
            return PER_UNIT[(ka, kb)]
        raise Meaningless(f"{tool} divides a {ka} by a {kb}")
    if ka == kb == "number":
        return "number"
    product = PRODUCTS.get(frozenset({ka, kb}))
    if product is None or ka == kb:
        raise Meaningless(f"{tool} multiplies a {ka} by a {kb}")
    return product


# -- what a second mention of a value reads as ("that email") ----------------------------------

TYPE_WORDS: dict[str, str] = {
    "date": "date",
    "list[date]": "dates",
    "path": "file",
    "list[path]": "files",
    "email_id": "email",
    "event_id": "event",
    "order_id": "order",
    "sku": "item",
    "person": "person",
    "email": "address",
    "title": "title",
    "subject": "subject",
    "money": "amount",
    "list[line]": "lines",
    "list[person]": "people",
}
"""Port type -> the noun of a back-reference ("that date"); a record is named by the first
word of its record name (``record:email_brief`` -> ``email``). Free text and plain numbers have
none: they are described again."""


RECORD_WORDS = {"status_change": "order"}  # the order whose status changed is "that order"


def type_word(port_type: str | None) -> str | None:
    """The back-reference noun of a value of ``port_type`` (:data:`TYPE_WORDS`), or ``None``."""
    if not port_type:
        return None
    if port_type.startswith("record:"):
        return RECORD_WORDS.get(port_type[7:], port_type[7:].split("_")[0])
    if port_type.startswith("list[record:"):
        return port_type[12:-1].split("_")[0] + "s"
    return TYPE_WORDS.get(port_type)
