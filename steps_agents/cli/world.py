"""``steps world check NAME``: compose a world's combinations up to k, replay every oracle
through its checker, and report uncomposable combinations by reason, tools never used and
phrases that render badly (:func:`steps_agents.worlds.audit.audit_world`). Exit code 0 when
nothing but uncomposable combinations and unused tools (a warning) was found, 1 otherwise;
with --strict an unused tool fails the check too."""

from __future__ import annotations

import argparse
import json
from typing import Any


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("world", help="check a skill world before synthesising with it")
    commands = p.add_subparsers(dest="world_command", metavar="check", required=True)
    check = commands.add_parser(
        "check",
        help="compose every combination up to --k-max and replay each oracle",
        description="Compose every combination of the world's tools for k = 1..K (a seeded"
        " sample of --limit per k when there are more), replay each oracle through its checker,"
        " and list uncomposable combinations by reason, tools never used (a warning unless"
        " --strict) and bad phrases. Exit 1 on an oracle failure or a bad phrase.",
    )
    check.add_argument("name", help="a registered skill world (see `steps plugins`)")
    check.add_argument("--k-max", type=int, default=2, help="largest k to compose (default 2)")
    check.add_argument("--limit", type=int, default=200, help="combinations per k (default 200)")
    check.add_argument("--seed", type=int, default=0, help="composition seed (default 0)")
    check.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 1) when a tool is used by no composed task (default: a warning)",
    )
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from steps_agents.errors import InputError
    from steps_agents.plugin_manager import default_plugin_manager
    from steps_agents.registry import get_skill_world
    from steps_agents.worlds.audit import audit_world

    if args.k_max < 1 or args.limit < 1:
        raise InputError("--k-max and --limit must be at least 1")
    world = get_skill_world(args.name, default_plugin_manager())
    audit = audit_world(world, k_max=args.k_max, seed=args.seed, limit=args.limit)
    print(json.dumps(audit.to_dict(), indent=2) if args.json else audit.text(args.strict))
    return 0 if audit.passed(args.strict) else 1
