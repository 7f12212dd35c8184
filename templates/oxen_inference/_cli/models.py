"""``oxen-inference models list | show MODEL``: the catalog, as the API serves it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ._common import connect, out, print_json

if TYPE_CHECKING:
    from .. import Model

SCHEMA_KEYS = {"request_schema", "json_request_schema"}


def register(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser("models", help="list the models, or show one")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", title="actions")
    listing = actions.add_parser("list", help="every model: id, type, name")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    listing.set_defaults(handler=list_models)
    show = actions.add_parser("show", help="one model: what it does, its price, its parameters")
    show.add_argument("model", metavar="MODEL", help="a model id")
    show.add_argument("--json", action="store_true", help="print the API's JSON object")
    show.set_defaults(handler=show_model)


def _row(model: Model) -> dict[str, Any]:
    dumped: dict[str, Any] = model.model_dump(mode="json", by_alias=True)
    return {k: v for k, v in dumped.items() if k not in SCHEMA_KEYS}


def list_models(args: argparse.Namespace) -> int:
    with connect() as client:
        models = client.models.list()
    if args.json:
        print_json([_row(m) for m in models])
        return 0
    width = max((len(m.id) for m in models), default=0)
    kinds = max((len(_io(m)) for m in models), default=0)
    for m in sorted(models, key=lambda m: m.id):
        out(f"{m.id:<{width}}  {_io(m):<{kinds}}  {m.display_name or ''}".rstrip())
    return 0


def _io(model: Model) -> str:
    """What the model takes and makes: ``text+image->video`` (empty when the API does not say)."""
    caps = model.capabilities
    if caps is None or not (caps.input or caps.output):
        return ""
    return f"{'+'.join(caps.input)}->{'+'.join(caps.output)}"


def _pricing(model: Model) -> str:
    if model.pricing is None:
        return ""
    parts = [model.pricing.method or "?"]
    parts += [f"{k}={v}" for k, v in (model.pricing.model_extra or {}).items()]
    return " ".join(parts)


def show_model(args: argparse.Namespace) -> int:
    from ._help import parameter_lines
    from ._model import model_info

    info = model_info(args.model)  # an id this client does not know: a usage error, nothing sent
    with connect() as client:
        model = client.models.get(info.model_id)
    if args.json:
        print_json(model.model_dump(mode="json", by_alias=True))
        return 0
    out(f"{model.id}  {model.display_name or ''}".rstrip())
    for label, text in (
        ("", model.description or model.summary or ""),
        ("takes->makes", _io(model)),
        ("route", info.route or ""),
        ("queue", info.media or ""),
        ("pricing", _pricing(model)),
    ):
        if text:
            out(f"{label}: {text}" if label else text)
    for line in parameter_lines(info):
        out(line)
    return 0
