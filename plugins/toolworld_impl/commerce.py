"""Domains ``orders`` (``state["orders"]``) and ``inventory`` (``state["inventory"]``, by SKU)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from steps_agents.plugins.toolworld_impl.base import Param, Tool, need, pick, registrar, round_num

from steps_agents.worlds import ToolError

TOOLS: list[Tool] = []
order = registrar(TOOLS, "orders")
stock = registrar(TOOLS, "inventory")

STATUSES = ["pending", "shipped", "delivered", "cancelled"]
BRIEF_FIELDS = {"id": "order_id", "customer": "person", "total": "number"}
ORDER_FIELDS = {
    "id": "order_id",
    "customer": "person",
    "sku": "sku",
    "qty": "integer",
    "unit_price": "number",
    "status": "string",
    "date": "date",
}


def _orders(state: Mapping[str, Any]) -> dict[str, Any]:
    orders: dict[str, Any] = state["orders"]["orders"]
    return orders


def _brief(o: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": o["id"],
        "customer": o["customer"],
        "total": round_num(o["qty"] * o["unit_price"], 2),
    }


def _items(state: Mapping[str, Any]) -> dict[str, Any]:
    items: dict[str, Any] = state["inventory"]
    return items


def s_status(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return str(pick(sorted({o["status"] for o in _orders(state).values()}), rng))


def s_new_status(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    current = _orders(state).get(str(args.get("order_id")), {}).get("status")
    return str(pick([s for s in STATUSES if s != current], rng))


def s_order_id(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return str(pick(sorted(_orders(state)), rng))


def s_sku(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return str(pick(sorted(_items(state)), rng))


def s_in_stock_sku(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return str(pick(sorted(s for s, i in _items(state).items() if i["stock"] >= 3), rng))


def s_customer(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> str:
    return str(pick(sorted(state["contacts"]), rng))


def s_qty(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> int:
    return rng.randint(1, 3)


def s_restock(state: Mapping[str, Any], rng: random.Random, args: Mapping[str, Any]) -> int:
    return rng.choice([5, 10, 20, 25, 40, 50])


@order(
    "orders_list",
    "The orders with a status (pending, shipped, delivered, cancelled): id, customer, total; by id.",
    params=[Param("status", {"type": "string", "enum": STATUSES}, s_status, None)],
    returns="list[record:order_brief]",
    fields=BRIEF_FIELDS,
    phrase="list the {status} orders",
)
def list_orders(state: dict[str, Any], args: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = [o for o in _orders(state).values() if o["status"] == args["status"]]
    return [_brief(o) for o in sorted(found, key=lambda o: o["id"])]


@order(
    "orders_get",
    "An order: customer, sku, qty, unit_price, status, date.",
    params=[Param("order_id", {"type": "string"}, s_order_id, "order_id", "Id such as O-1004")],
    returns="record:order",
    fields=ORDER_FIELDS,
    phrase="look up the order {order_id}",
)
def get(state: dict[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    return dict(need(_orders(state), str(args["order_id"]), "order"))


@order(
    "orders_total",
    "Total value of an order: qty * unit_price, rounded to 2 decimals.",
    params=[Param("order_id", {"type": "string"}, s_order_id, "order_id", "Id such as O-1004")],
    returns="number",
    phrase="compute the total value of the order {order_id}",
    rule="numeric",
)
def total(state: dict[str, Any], args: Mapping[str, Any]) -> float | int:
    item = need(_orders(state), str(args["order_id"]), "order")
    return round_num(item["qty"] * item["unit_price"], 2)


@order(
    "orders_by_customer",
    "A customer's orders (id, customer, total), by id.",
    params=[Param("customer", {"type": "string"}, s_customer, "person", "Full name")],
    returns="list[record:order_brief]",
    fields=BRIEF_FIELDS,
    phrase="list the orders of {customer}",
)
def by_customer(state: dict[str, Any], args: Mapping[str, Any]) -> list[dict[str, Any]]:
    wanted = str(args["customer"]).casefold()
    found = [o for o in _orders(state).values() if o["customer"].casefold() == wanted]
    return [_brief(o) for o in sorted(found, key=lambda o: o["id"])]


@order(
    "orders_update_status",
    "Set an order's status. Returns the order (id, customer, status, previous_status).",
    params=[
        Param("order_id", {"type": "string"}, s_order_id, "order_id", "Id such as O-1004"),
        Param("status", {"type": "string", "enum": STATUSES}, s_new_status, None),
    ],
    returns="record:status_change",
    fields={
        "id": "order_id",
        "customer": "person",
        "status": "string",
        "previous_status": "string",
    },
    phrase="set the status of the order {order_id} to {status}",
    mutates=True,
)
def update_status(state: dict[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    item = need(_orders(state), str(args["order_id"]), "order")
    previous = str(item["status"])
    item["status"] = str(args["status"])
    return {
        "id": item["id"],
        "customer": item["customer"],
        "status": item["status"],
        "previous_status": previous,
    }


@order(
    "orders_create",
    "Place a pending order at the current price; takes the quantity out of stock. Returns it.",
    params=[
        Param("customer", {"type": "string", "minLength": 1}, s_customer, "person", "Full name"),
        Param("sku", {"type": "string"}, s_in_stock_sku, "sku"),
        Param("qty", {"type": "integer", "minimum": 1, "maximum": 1000}, s_qty, "integer"),
    ],
    returns="record:order",
    fields=ORDER_FIELDS,
    phrase="order {qty} of {sku} for {customer}",
    mutates=True,
)
def create(state: dict[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    item = need(_items(state), str(args["sku"]), "sku")
    qty = int(args["qty"])
    if qty > item["stock"]:
        raise ToolError(f"only {item['stock']} of {item['sku']} in stock")
    item["stock"] -= qty
    book = state["orders"]
    oid = f"O-{book['next_id']}"
    book["next_id"] += 1
    _orders(state)[oid] = {
        "id": oid,
        "customer": str(args["customer"]),
        "sku": item["sku"],
        "qty": qty,
        "unit_price": item["price"],
        "status": "pending",
        "date": state["today"],
    }
    return dict(_orders(state)[oid])


@stock(
    "inventory_stock",
    "Units in stock for a SKU.",
    params=[Param("sku", {"type": "string"}, s_sku, "sku", "Such as SKU-123")],
    returns="integer",
    phrase="check the stock of {sku}",
    rule="numeric",
)
def stock_level(state: dict[str, Any], args: Mapping[str, Any]) -> int:
    return int(need(_items(state), str(args["sku"]), "sku")["stock"])


@stock(
    "inventory_price",
    "Unit price of a SKU in EUR.",
    params=[Param("sku", {"type": "string"}, s_sku, "sku", "Such as SKU-123")],
    returns="number",
    phrase="look up the unit price of {sku}",
    rule="numeric",
)
def price(state: dict[str, Any], args: Mapping[str, Any]) -> float | int:
    return round_num(need(_items(state), str(args["sku"]), "sku")["price"], 2)


@stock(
    "inventory_restock",
    "Add units to a SKU's stock. Returns the new stock level.",
    params=[
        Param("sku", {"type": "string"}, s_sku, "sku", "Such as SKU-123"),
        Param("qty", {"type": "integer", "minimum": 1, "maximum": 10000}, s_restock, "integer"),
    ],
    returns="integer",
    phrase="add {qty} units to the stock of {sku}",
    mutates=True,
    rule="numeric",
)
def restock(state: dict[str, Any], args: Mapping[str, Any]) -> int:
    item = need(_items(state), str(args["sku"]), "sku")
    item["stock"] += int(args["qty"])
    return int(item["stock"])


@stock(
    "inventory_low_stock",
    "Items whose stock is at or below their reorder level (sku, name, stock), by SKU.",
    returns="list[record:item]",
    fields={"sku": "sku", "name": "string", "stock": "integer"},
    phrase="list the items that are at or below their reorder level",
)
def low_stock(state: dict[str, Any], args: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {"sku": s, "name": i["name"], "stock": i["stock"]}
        for s, i in sorted(_items(state).items())
        if i["stock"] <= i["reorder_level"]
    ]
