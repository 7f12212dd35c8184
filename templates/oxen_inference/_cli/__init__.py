"""The ``oxen-inference`` command line, also ``python -m oxen_inference``.

``_main`` builds the argument tree and turns every outcome into an exit code and at most one line
on stderr; each command lives in a module of its own (``run``, ``chat``, ``models``, ``jobs``, ...)
that imports only the standard library until its handler runs, so ``--help`` stays fast.
"""

from ._main import main

__all__ = ["main"]
