"""oxgen: generate the typed Python client for Oxen.ai's inference API from its model schemas.

The pipeline, one module per stage (pure stages marked so; I/O only at the edges)::

    fetch ──► snapshot ──► normalise ──► compile ──► render ──► format ──► write
    (network)  (files)      (pure)        (pure)      (pure)    (ruff)     (files)

Module map:

- ``cli``        the ``oxgen`` command line; imports each command's machinery lazily.
- ``fetch``      ``oxgen fetch``: the models endpoint -> a new snapshot (retries, deadlines).
- ``snapshot``   reading and writing snapshots (one JSON file per model + manifest) and catalogs.
- ``inputs``     the one way input files are read: regular files only, each within a size cap.
- ``normalise``  the normalise stage: Oxen's schema dialect -> standard draft 2020-12, ``$ref``s
                 made local (:class:`~oxgen.normalise.Normalised`, what the compiler reads).
- ``vocabulary`` what draft 2020-12's keywords are: annotations, where subschemas live, pointers.
- ``compile``    snapshot -> :class:`~oxgen.ir.PackageIR`: names, routes and classes per model.
- ``classes``    one model's normalised schema -> request classes (``ClassIR``), for ``compile``.
- ``scan``       what a schema must not hold for the compiler (refused with its JSON pointer).
- ``typeexpr``   the two type expressions of a schema position (typing form, pydantic form).
- ``notes``      a field's constraints in words, those its type and default do not show.
- ``media``      which request parameters are media inputs (a URL the provider downloads).
- ``controls``   which client methods a model gets, and the call arguments they take.
- ``patterns``   which ECMA-262 patterns the generated package can translate (its own ``_ecma``).
- ``naming``     every Python identifier the generator emits, decided once.
- ``reserved``   the names Python and pydantic reserve, written out (``naming`` avoids them).
- ``literals``   the only way schema text reaches generated code (literals, docstrings).
- ``routes``     which HTTP route runs a model.
- ``ir``         the intermediate model that holds every decision; templates only print it (a
                 leaf: it imports nothing of oxgen).
- ``releases``   the client's version and changelog: the ledger beside the snapshot.
- ``templates``  where the templates tree is; runtime modules the generator imports from it.
- ``render``     IR -> file texts through the templates (runtime modules copied with a header).
- ``unasync``    the blocking twin of each asyncio runtime module (``_async/`` -> ``_sync/``).
- ``format``     the pinned ruff, in background batches.
- ``write``      stage, format, then write changed files or compare them (``--check``).
- ``cache``      what each generated file was made from, so unchanged work is skipped.
- ``distribution`` the generated distribution's metadata, from ``[tool.oxgen.client]`` settings.
- ``generate``   ``oxgen generate``: sequences the stages above.
- ``diff/``      ``oxgen diff``: what changed between two snapshots and whether it breaks users.
- ``mock/``      ``oxgen mock-server``: a snapshot served over Oxen's protocol on loopback.
"""

__version__ = "0.1.0"
