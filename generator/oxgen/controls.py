"""The client's per-model methods and their call arguments: which methods a model gets
(:func:`model_methods`, decided here once: the compiler, the stub, the model page and the cache
all take it from here) and what every call takes besides the model's own parameters.

One list, read by the compiler (the per-model methods' signatures and docstrings in the IR) and
by ``naming`` (a schema property never takes one of these names as its Python name). The generic
methods of ``_async/api.py`` (``client.generate(model_id, ...)``, ``client.submit(model_id, ...)``)
take the same arguments; ``tests/unit/test_naming.py`` checks that they agree.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from oxgen.ir import ControlIR, MethodIR

GENERATE = "generate"
SUBMIT = "submit"
KINDS = (GENERATE, SUBMIT)  # the kinds of per-model method


@dataclass(frozen=True)
class Control:
    name: str
    annotation: str  # as written in a model module and shown by help() (plain typing names)
    default: str
    doc: str
    kinds: tuple[str, ...]  # the calls that take it: GENERATE, SUBMIT
    per_model: bool = True  # False: only the generic call takes it
    # the imported names the annotation refers to (naming.MODULE_BINDINGS)
    uses: tuple[str, ...] = ()


CALL_CONTROLS: tuple[Control, ...] = (
    Control(
        "num_generations",
        "int | Omit",
        "OMIT",
        "How many generations to enqueue (1 to 4); a list of jobs is returned.",
        (SUBMIT,),
        per_model=False,  # the per-model submit returns one Job; batches go through submit()
    ),
    Control(
        "target_namespace",
        "str | Omit",
        "OMIT",
        "Namespace (user or organisation) that owns and pays for the result.",
        (GENERATE, SUBMIT),
    ),
    Control(
        "response_format",
        'Literal["url", "b64_json"] | Omit',
        "OMIT",
        '"url" (temporary result URLs) or "b64_json" (the bytes inline).',
        (GENERATE,),
        uses=("Literal",),
    ),
    Control(
        "timeout",
        "Timeout | Omit",
        "OMIT",
        "Seconds (or an httpx.Timeout) for this call; blocking video routes default to 20 minutes.",
        (GENERATE, SUBMIT),
    ),
    Control(
        "extra_headers",
        "Mapping[str, str] | None",
        "None",
        "Headers added to the request.",
        (GENERATE, SUBMIT),
        uses=("Mapping",),
    ),
    Control(
        "extra_body",
        "Mapping[str, Any] | None",
        "None",
        "Keys merged into the JSON body last, unchecked (for parameters newer than this client).",
        (GENERATE, SUBMIT),
        uses=("Mapping", "Any"),
    ),
    Control(
        "extra_query",
        "Mapping[str, Any] | None",
        "None",
        "Query parameters added to the request's URL.",
        (GENERATE, SUBMIT),
        uses=("Mapping", "Any"),
    ),
    Control(
        "max_retries",
        "int | None",
        "None",
        "Retries for this call (None: the client's max_retries).",
        (GENERATE, SUBMIT),
    ),
)

# The other names a call binds: the client (positional), the generic calls' model id and their
# `**params`, and the body's own "model" key.
OTHER_ARGUMENTS: tuple[str, ...] = ("self", "client", "model", "model_id", "params")


def controls_for(kind: str) -> tuple[Control, ...]:
    """The controls of a per-model method of `kind`, in signature order."""
    return tuple(c for c in CALL_CONTROLS if c.per_model and kind in c.kinds)


@functools.cache
def controls_ir(kind: str) -> tuple[ControlIR, ...]:
    """The controls of a per-model method of `kind` as the IR holds them."""
    return tuple(ControlIR(c.name, c.annotation, c.default, c.doc) for c in controls_for(kind))


QUEUE_ROUTE = "/ai/queue"  # where the queue's jobs are enqueued


def model_methods(
    generate_name: str, submit_name: str, route: str | None, media: str | None
) -> tuple[MethodIR, ...]:
    """The client methods of a model with blocking `route` (None: it has none) and queue `media`
    (None: the queue does not take it): the blocking route's method, then the queue's."""
    methods = []
    if route is not None:
        methods.append(
            MethodIR(
                GENERATE,
                generate_name,
                route,
                "GenerateResponse",
                "GenerateResponse",
                controls_ir(GENERATE),
            )
        )
    if media is not None:
        methods.append(
            MethodIR(SUBMIT, submit_name, QUEUE_ROUTE, "Job", "AsyncJob", controls_ir(SUBMIT))
        )
    return tuple(methods)
