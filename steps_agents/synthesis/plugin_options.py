"""Options of a synthesis plugin (a judge, a mode) validated by a pydantic model it owns.

A judge reads ``[synth.judge_options.NAME]``, a mode ``[synth.mode_options]``; each declares a
:class:`PluginOptions` subclass. Unknown keys are refused (``docs/formats.md``), numbers must be
finite, and a bad key or value is one :class:`~steps_agents.errors.InputError` line naming the
option and the plugin: ``mode_options.plan_judge: Input should be a valid boolean (mode
'agentic')``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from steps_agents.errors import InputError
from steps_agents.runtime.config import validation_line

__all__ = ["PluginOptions", "plugin_options"]


class PluginOptions(BaseModel):
    """Base of a plugin's options model: unknown keys refused, numbers finite, frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


Options = TypeVar("Options", bound=BaseModel)


def plugin_options(
    cls: type[Options], options: Mapping[str, Any] | None, table: str, owner: str
) -> Options:
    """``options`` validated by ``cls``, or one :class:`InputError` at ``TABLE.FIELD`` whose
    message names ``owner`` (``"judge 'dedup'"``, ``"mode 'agentic'"``)."""
    try:
        return cls.model_validate(dict(options or {}))
    except ValidationError as error:
        field, message = validation_line(error)
        location = f"{table}.{field}" if field else table
        if error.errors()[0]["type"] == "extra_forbidden":
            known = ", ".join(cls.model_fields) or "no options"
            raise InputError(f"unknown option ({owner} takes {known})", location=location) from None
        raise InputError(f"{message} ({owner})", location=location) from None
