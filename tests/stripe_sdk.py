"""stripe-python's own types, read as data: the parameters each API call takes, the keys and
literal values of each object, the event types a webhook endpoint may enable.

The installed SDK is the locked one, whose pinned API version is ingest's (tests/infra/
test_locks.py). Everything here is derived from the SDK generically, so a check built on it
keeps covering Stripe resources the stand-in gains later:

- `call_params()`: (HTTP method, path with `{}` for ids) -> the SDK's params TypedDict keys,
  read from the SDK's service classes (`self._request("post", "/v1/…")` and the `params:`
  annotation beside it);
- `problems_in(obj)`: every key of a Stripe object (found by its `object` field), at every depth,
  against the SDK model's annotations, and every string where the model has a Literal against
  that Literal (statuses, wallet types, …); `payment_method_details.type` against the payment
  method names the model knows;
- `enabled_events()`: the Literal of `WebhookEndpointCreateParams.enabled_events`.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys
import typing
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, Literal, Union, get_args, get_origin

import stripe
from stripe._object_classes import OBJECT_CLASSES
from stripe._request_options import RequestOptions
from stripe._stripe_object import StripeObject

SDK_DIR = Path(stripe.__file__).parent
# Lists and search results wrap objects; their own keys are fixed.
LIST_KEYS = {"list": {"object", "data", "has_more", "url"}}
_SERVICE_METHOD = re.compile(
    r"    def (?P<name>\w+)\(\n(?P<args>(?:        .*\n)*?)    \) -> .*:\n(?P<body>(?:(?:        .*)?\n)*?)(?=    (?:async )?def |\Z)",
)
_PARAMS_ANNOTATION = re.compile(r'params: (?:Optional\[)?"(\w+Params)"')
_REQUEST = re.compile(r'self\._request\(\s*"(\w+)",\s*"(/v1/[^"]*)"')
_REQUEST_OPTION_KEYS = RequestOptions.__required_keys__ | RequestOptions.__optional_keys__


def normalized_path(path: str) -> str:
    """`/v1/payment_intents/{intent}` and Flask's `/v1/payment_intents/<intent_id>` alike."""
    return re.sub(r"\{[^}]*\}|<[^>]*>", "{}", path)


@cache
def call_params() -> dict[tuple[str, str], frozenset[str]]:
    found: dict[tuple[str, str], frozenset[str]] = {}
    for path in sorted(SDK_DIR.rglob("_*_service.py")):
        source = path.read_text(encoding="utf-8")
        for method in _SERVICE_METHOD.finditer(source):
            annotation = _PARAMS_ANNOTATION.search(method["args"])
            request = _REQUEST.search(method["body"])
            if not (annotation and request):
                continue
            name = annotation.group(1)
            # e.g. `from stripe.params.checkout._session_retrieve_params import (SessionRetrieveParams,`
            origin = re.search(rf"from (stripe\.params[\w.]*) import \(?\s*{name}\b", source)
            assert origin, f"{path.name}: where does {name} come from?"
            params_class = getattr(importlib.import_module(origin.group(1)), name)
            keys = params_class.__required_keys__ | params_class.__optional_keys__
            found[(request.group(1).upper(), normalized_path(request.group(2)))] = frozenset(
                keys - _REQUEST_OPTION_KEYS
            )
    return found


@cache
def _type_checking_names(module: ModuleType) -> dict[str, Any]:
    """The names a model module imports under `if TYPE_CHECKING:` (its annotations use them)."""
    names: dict[str, Any] = {}
    tree = ast.parse(inspect.getsource(module))
    for node in tree.body:
        test = node.test if isinstance(node, ast.If) else None
        if isinstance(node, ast.If) and isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
            code = compile(ast.Module(body=node.body, type_ignores=[]), module.__name__, "exec")
            exec(code, names)  # noqa: S102 (the SDK's own import lines)
    return names


@cache
def annotations(model: type) -> dict[str, Any]:
    """Key -> resolved annotation of a StripeObject model (its bases' too); unresolvable -> Any."""
    module = sys.modules[model.__module__]
    globalns = {**_type_checking_names(module), **vars(module)}
    # Nested model classes name their siblings and their parents' nested classes bare.
    localns: dict[str, Any] = {}
    outer: Any = module
    for part in model.__qualname__.split("."):
        outer = getattr(outer, part)
        localns.update(vars(outer))
    resolved: dict[str, Any] = {}
    for klass in reversed(model.__mro__):
        if not (isinstance(klass, type) and issubclass(klass, StripeObject)):
            continue
        for key, raw in vars(klass).get("__annotations__", {}).items():
            if get_origin(raw) is typing.ClassVar or (isinstance(raw, str) and "ClassVar" in raw):
                continue
            try:
                resolved[key] = eval(raw, globalns, localns) if isinstance(raw, str) else raw  # noqa: S307
            except NameError:
                resolved[key] = Any
    return resolved


def problems_in(value: Any, where: str = "$") -> list[str]:
    """Everything in a JSON value that the SDK's models for the pinned API version do not have."""
    return list(_walk(value, Any, where))


def _model_of(value: dict[str, Any]) -> type | None:
    kind = value.get("object")
    found: type | None = OBJECT_CLASSES.get(kind) if isinstance(kind, str) else None
    return found


def _walk(value: Any, annotation: Any, where: str) -> Iterator[str]:
    if isinstance(value, dict) and isinstance(value.get("object"), str):
        kind = value["object"]
        if kind in LIST_KEYS:
            for key in set(value) - LIST_KEYS[kind]:
                yield f"{where}: a {kind} has no key {key!r}"
            for index, item in enumerate(value.get("data") or []):
                yield from _walk(item, Any, f"{where}.data[{index}]")
            return
        model = _model_of(value)
        if model is None:
            yield f"{where}: object {kind!r} is no Stripe object the SDK knows"
            return
        yield from _object(value, model, where)
        return
    origin = get_origin(annotation)
    if value is None:
        return
    if annotation is Any or origin is dict:
        # a container that is no Stripe object (an answer's error, the stand-in's state dump,
        # Event.data): the objects inside it are checked by their own `object` field
        if isinstance(value, dict):
            for key, item in value.items():
                yield from _walk(item, Any, f"{where}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from _walk(item, Any, f"{where}[{index}]")
        return
    if origin is Union:
        options = [a for a in get_args(annotation) if a is not type(None)]
        if isinstance(value, str) and str in options:
            return
        literals = [a for a in options if get_origin(a) is Literal]
        models = [a for a in options if isinstance(a, type) and issubclass(a, StripeObject)]
        if isinstance(value, dict) and models:
            yield from _object(value, models[0], where)
        elif literals and len(options) == len(literals):
            allowed = [v for lit in literals for v in get_args(lit)]
            if not _one_of(value, allowed):
                yield f"{where}: {value!r} is not one of the SDK's values {_shown(allowed)}"
        else:
            for option in options:
                if get_origin(option) in (list, typing.List):  # noqa: UP006
                    yield from _walk(value, option, where)
        return
    if origin is Literal:
        if not _one_of(value, get_args(annotation)):
            yield f"{where}: {value!r} is not one of the SDK's values {_shown(get_args(annotation))}"
        return
    if origin in (list, typing.List) and isinstance(value, list):  # noqa: UP006
        (item_type,) = get_args(annotation) or (Any,)
        for index, item in enumerate(value):
            yield from _walk(item, item_type, f"{where}[{index}]")
        return
    if isinstance(annotation, type) and issubclass(annotation, StripeObject):
        if isinstance(value, dict):
            yield from _object(value, annotation, where)
        return


def _one_of(value: Any, allowed: Any) -> bool:
    return isinstance(value, str | int | bool) and value in allowed


def _shown(allowed: Any) -> str:
    values = list(allowed)
    return str(values) if len(values) <= 12 else f"({len(values)} values, e.g. {values[:5]})"


def _object(value: dict[str, Any], model: type, where: str) -> Iterator[str]:
    known = annotations(model)
    for key, item in value.items():
        if key not in known:
            yield f"{where}: {model.__qualname__} has no key {key!r}"
            continue
        yield from _walk(item, known[key], f"{where}.{key}")
    if model.__qualname__.endswith("PaymentMethodDetails") and "type" in value:
        method_types = {k for k, a in known.items() if k not in ("type",)}
        if value["type"] not in method_types:
            yield f"{where}.type: {value['type']!r} is no payment method type the SDK knows"


@cache
def enabled_events() -> frozenset[str]:
    from stripe.params import WebhookEndpointCreateParams

    # evaluated at class creation (the module has no `from __future__ import annotations`)
    annotation = WebhookEndpointCreateParams.__annotations__["enabled_events"]
    (item,) = get_args(annotation)
    return frozenset(get_args(item))
