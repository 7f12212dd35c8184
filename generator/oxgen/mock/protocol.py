"""The protocol core: the same code the generated client ships as its test kit
(``oxen_inference.testing._protocol``), loaded from the templates tree (see
:func:`oxgen.templates.runtime_package`), so ``oxgen mock-server`` and the client's fake speak the
protocol with one implementation. Type checkers read it from the generated package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..templates import runtime_package

if TYPE_CHECKING:
    from oxen_inference.testing import _protocol as core
    from oxen_inference.testing._protocol import (
        answers,
        body,
        catalog,
        config,
        errors,
        events,
        faults,
        jobs,
        media,
        repos,
        router,
        state,
    )
else:
    core = runtime_package("testing/_protocol")
    # Every module of the package is imported by its __init__.
    answers, body, catalog, config = core.answers, core.body, core.catalog, core.config
    errors, events, faults, jobs = core.errors, core.events, core.faults, core.jobs
    media, repos, router, state = core.media, core.repos, core.router, core.state

__all__ = [
    "answers",
    "body",
    "catalog",
    "config",
    "core",
    "errors",
    "events",
    "faults",
    "jobs",
    "media",
    "repos",
    "router",
    "state",
]
