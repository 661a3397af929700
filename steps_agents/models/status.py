"""The HTTP status an SDK exception carries: shared by the retry policy and the negotiation."""

from __future__ import annotations


def status_of(error: BaseException) -> int | None:
    """The HTTP status an SDK exception carries, if any."""
    for holder in (error, getattr(error, "response", None)):
        if holder is None:
            continue
        for attribute in ("status_code", "status", "code"):
            value = getattr(holder, attribute, None)
            if isinstance(value, int) and 100 <= value <= 599:
                return value
    return None
