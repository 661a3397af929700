"""Structured-output negotiation: the strongest form a server accepts, found once per run.

OpenAI-compatible servers differ in what they take for a structured answer. The forms, strongest
first (each constrains decoding less than the one before it):

1. ``json_schema``: ``response_format: {"type": "json_schema", ...}`` (OpenAI, vLLM, SGLang,
   llama-server, recent Ollama);
2. ``json_object``: ``response_format: {"type": "json_object", "schema": ...}``, JSON mode with a
   schema, as llama-cpp-python and llama-server accept it (grammar-constrained decoding);
3. ``tool``: one forced tool call whose arguments are the answer (``tools`` + ``tool_choice``);
4. ``prompt``: the schema in the system message, the first JSON object of the reply parsed.

A server that does not take a form answers with an error naming the request parameter (HTTP 400
or 422; llama-cpp-python answers 500 with such a body). :func:`refused_parameter` reads that
answer: it is a capability answer, never an outage to retry. :class:`Negotiator` then steps down
to the next form, says so in one line, and remembers the choice per (base URL, model) in a small
JSON file beside the run's response cache, so a resumed run does not probe again.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from pathlib import Path
from typing import Any, Literal

from steps_agents.models.status import status_of

Form = Literal["json_schema", "json_object", "tool", "prompt"]
FORMS: tuple[Form, ...] = ("json_schema", "json_object", "tool", "prompt")
FORMS_FILE = "structured-forms.json"

log = logging.getLogger(__name__)

# Request parameters a server may refuse while the rest of the request is fine.
PARAMETERS = (
    "response_format",
    "parallel_tool_calls",
    "tool_choice",
    "tools",
    "seed",
    "logprobs",
    "top_logprobs",
    "logit_bias",
    "stream_options",
    "max_completion_tokens",
)
_PARAMETER = re.compile(r"\b(" + "|".join(PARAMETERS) + r")\b")
# Statuses that can carry a parameter refusal: 400/422 everywhere, 500 from llama-cpp-python.
REFUSAL_STATUSES = frozenset({400, 422, 500})
# The parameters each form sends (a refusal of another parameter is not about the form).
FORM_PARAMETERS: dict[Form, frozenset[str]] = {
    "json_schema": frozenset({"response_format"}),
    "json_object": frozenset({"response_format"}),
    "tool": frozenset({"tools", "tool_choice", "parallel_tool_calls"}),
    "prompt": frozenset(),
}


def _status(error: BaseException) -> int | None:
    return status_of(error)


def _body_text(error: BaseException) -> str:
    """The error's message plus its parsed body (``openai.APIStatusError.body``), as text."""
    body = getattr(error, "body", None)
    extra = json.dumps(body, default=str) if body is not None else ""
    return f"{error} {extra}"


def refused_parameter(error: BaseException) -> str | None:
    """The request parameter a server refused in ``error``, or ``None``.

    A refusal is an HTTP 400, 422 or 500 whose message or body names one of :data:`PARAMETERS`
    (the first one named wins). Anything else (no status, another status, no parameter named)
    is not a capability answer and is classified as usual.
    """
    if _status(error) not in REFUSAL_STATUSES:
        return None
    match = _PARAMETER.search(_body_text(error))
    return match.group(1) if match else None


class Negotiator:
    """The structured-output form per (base URL, model), stepped down on refusals.

    ``path`` (optional) is the JSON file that keeps the choices across a resume. Thread-safe:
    requests in flight when a refusal arrives each step down at most once from the form they used
    (a second refusal of the same form does not skip a form).
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.forms: dict[str, Form] = {}
        self.probes = 0  # requests refused while finding the form
        if path is not None and path.is_file():
            try:
                saved = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                saved = {}
            if isinstance(saved, dict):
                self.forms = {k: v for k, v in saved.items() if v in FORMS}

    @staticmethod
    def key(base_url: str | None, model: str) -> str:
        return f"{base_url or ''}|{model}"

    def form(self, key: str, start: Form = "json_schema") -> Form:
        """The form to use for ``key`` (``start`` until a refusal said otherwise)."""
        with self._lock:
            return self.forms.get(key, start)

    def step_down(self, key: str, refused: Form, parameter: str) -> Form | None:
        """After ``refused`` was refused for ``parameter``: the next form, or ``None`` when the
        parameter is not one ``refused`` sends (then it is not about the form) or none is left."""
        if parameter not in FORM_PARAMETERS[refused] or refused == FORMS[-1]:
            return None
        with self._lock:
            self.probes += 1
            current = self.forms.get(key, refused)
            if FORMS.index(current) > FORMS.index(refused):
                return current  # another request in flight already stepped down
            chosen = FORMS[FORMS.index(refused) + 1]
            self.forms[key] = chosen
            self._save()
        log.warning(
            "structured output: the server refused %s (%s); using %s instead",
            refused,
            parameter,
            chosen,
        )
        return chosen

    def _save(self) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(self.forms, sort_keys=True), encoding="utf-8")
        except OSError as error:  # the choice still holds for this run
            log.warning("could not keep the structured-output choice in %s: %s", self.path, error)


def json_object_format(schema_json: dict[str, Any]) -> dict[str, Any]:
    """The ``response_format`` of the ``json_object`` form: JSON mode constrained by a schema."""
    return {"type": "json_object", "schema": schema_json}
