"""Oxen's inference protocol as a stateful fake (see the API notes in ``OXEN_API.md``), with no I/O
of its own: ``oxen_inference.testing`` serves it to the client through an httpx transport, and
``oxgen mock-server`` serves the same code over HTTP (it loads this folder from the templates
tree). Standard library only; every module imports only its siblings.

Modules, in request order::

    router        Exchange: counting, faults, bearer auth, routing, the body, the handler
    body          JSON bodies and query parameters, read defensively
    multipart     multipart/form-data bodies, parsed as they arrive
    routes_*      models and result files, blocking generation, queue and events, repositories
    answers       what handlers return: Answer, Delayed (after a latency), EventStream
    state         State: catalog + jobs + events + repositories + faults + counters, one lock
    catalog       model lookup, routes, filters, unknown parameters (the schema check is given)
    jobs          queued jobs moved on by time, and the history
    events        the SSE broker: per-owner subscribers, drops and stalls
    repos         repositories and their files (for uploaded inputs)
    faults        seeded and forced faults
    config        the settings (MockConfig)
    errors        Oxen's error envelopes
    media         tiny real PNG / MP4 / WAV files
"""

from __future__ import annotations

from . import routes_generate, routes_models, routes_queue, routes_repos
from .answers import Answer, Delayed, EventStream, Reply
from .catalog import Catalog, Check
from .config import MockConfig
from .errors import ApiError
from .events import Subscriber
from .faults import Forced
from .router import Exchange, Route, Router
from .state import State

__all__ = [
    "ROUTER",
    "ROUTES",
    "Answer",
    "ApiError",
    "Catalog",
    "Check",
    "Delayed",
    "EventStream",
    "Exchange",
    "Forced",
    "MockConfig",
    "Reply",
    "Route",
    "Router",
    "State",
    "Subscriber",
]

ROUTES: list[Route] = [
    *routes_models.ROUTES,
    *routes_generate.ROUTES,
    *routes_queue.ROUTES,
    *routes_repos.ROUTES,
]
ROUTER = Router(ROUTES)
