"""``python -m oxen_inference``: the ``oxen-inference`` command line (see ``_cli``)."""

from __future__ import annotations

if __name__ == "__main__":
    from ._cli import main

    raise SystemExit(main())
