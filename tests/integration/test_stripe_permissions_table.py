"""The one Stripe key permissions table (docs/stripe.md) and the commands agree.

Each command or endpoint the table names runs against the Stripe stand-in (which enforces
Stripe's restricted-key permissions) with a key holding exactly the permissions of the rows that
name it: it must work. Then once without each of those permissions: it must be refused, so the
table asks for nothing a command does not use. No other page keeps a table of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.config import Product
from ingest.orders import parse_order
from ingest.ports import StripeFailure
from ingest.reconcile import reconcile
from ingest.stripe_client import StripeApiGateway
from tests.fakes import FakePublisher
from tests.integration.test_stripe_client_standin import SERVICE_PERMISSIONS
from tests.stripe_standin_server import StandinControl

ROOT = Path(__file__).resolve().parents[2]
TABLE_PAGE = ROOT / "docs" / "stripe.md"
_ROW = re.compile(
    r"^\|\s*([A-Za-z ]+?)\s*\|\s*(Read|Write)\s*\|\s*`(rak_\w+)`\s*\|(.+?)\|(.+?)\|\s*$"
)
_PERMISSION_ROW = re.compile(
    r"^\|\s*(Customers|PaymentIntents|Charges|Checkout Sessions|Events|Webhook Endpoints)\s*\|"
    r"\s*(Read|Write)\s*\|"
)
_NAMED = re.compile(r"`((?:POST|GET) /[^`]+|python -m [^`]+)`")


def table() -> list[tuple[str, str, str, list[str], str]]:
    """(resource, access, stand-in name, commands, key) per row."""
    rows = []
    for line in TABLE_PAGE.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if match:
            resource, access, name, needed_by, key = match.groups()
            rows.append((resource, access, name, _NAMED.findall(needed_by), key.strip()))
    return rows


def permissions_for(command: str) -> list[str]:
    return [name for _, _, name, commands, _ in table() if command in commands]


Run = Callable[[StripeApiGateway, StandinControl], None]


def create_payment_intent(gateway: StripeApiGateway, standin: StandinControl) -> None:
    customer = gateway.create_customer("Ada", None, None)
    gateway.create_payment_intent(1999, "usd", customer, {"first_name": "Ada"}, "T-shirt", None)


def create_checkout_session(gateway: StripeApiGateway, standin: StandinControl) -> None:
    order = parse_order(
        {"first_name": "Ada", "product": "tee"}, {"tee": Product("tee", "T-shirt", 1999, "usd")}
    )
    gateway.create_checkout_session(order, "https://x.example/?id=1", "https://x.example/", None)


def verify(gateway: StripeApiGateway, standin: StandinControl) -> None:
    # The intent and the Payment Link session exist already (made with the stand-in's controls);
    # verify reads each with what it expands.
    intent = standin.post("checkout_sessions", {"outcome": "succeeded"})
    gateway.retrieve_payment_intent(intent["payment_intent"])
    gateway.retrieve_checkout_session(intent["id"])


def list_payment_intents(gateway: StripeApiGateway, standin: StandinControl) -> None:
    gateway.list_payment_intents(0, 2_000_000_000, None, 10)


def list_events(gateway: StripeApiGateway, standin: StandinControl) -> None:
    reconcile(gateway, FakePublisher(), created_gte=0)


def register_webhook(gateway: StripeApiGateway, standin: StandinControl) -> None:
    gateway.create_webhook_endpoint("https://x.example/webhooks/stripe", ["charge.failed"], "d")


# Every command and endpoint of ours that calls Stripe, and what it asks of Stripe.
COMMANDS: dict[str, Run] = {
    "POST /v1/payment-intents": create_payment_intent,
    "POST /v1/checkout-sessions": create_checkout_session,
    "POST /v1/payments/verify": verify,
    "python -m ingest reconcile": list_events,
    "python -m ingest backfill": list_payment_intents,
    "POST /tasks/reconcile": list_events,
    "python -m ingest register-webhook": register_webhook,
}


def gateway_with(standin: StandinControl, key: str, permissions: list[str]) -> StripeApiGateway:
    standin.post("restricted_keys", {key: permissions})
    return StripeApiGateway(key, api_base=standin.url, max_network_retries=0)


def test_the_table_names_every_command_that_calls_stripe_and_nothing_else():
    named = {command for *_, commands, _ in table() for command in commands}
    assert named == set(COMMANDS)


def test_the_service_keys_rows_are_what_the_service_runs_with():
    service = {name for _, _, name, _, key in table() if key == "service key"}
    assert service == set(SERVICE_PERMISSIONS)
    [(_, _, _, commands, key)] = [row for row in table() if row[2] == "rak_webhook_write"]
    assert commands == ["python -m ingest register-webhook"] and key != "service key"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_works_with_its_rows_permissions_and_needs_every_one(stripe_standin, command):
    standin = stripe_standin
    needed = permissions_for(command)
    assert needed, f"{command} has no row"
    COMMANDS[command](gateway_with(standin, "rk_test_exact", needed), standin)
    for missing in needed:
        fewer = [p for p in needed if p != missing]
        gateway = gateway_with(standin, f"rk_test_without_{missing}", fewer)
        with pytest.raises(StripeFailure) as refused:
            COMMANDS[command](gateway, standin)
        assert refused.value.kind == "permission", f"{command} did not need {missing}"


def test_no_other_page_keeps_a_permissions_table_of_its_own():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "wix" / "README.md"]
    for page in pages:
        if page == TABLE_PAGE:
            continue
        rows = [line for line in page.read_text().splitlines() if _PERMISSION_ROW.match(line)]
        assert rows == [], f"{page.name} lists permissions itself; link to the table instead"
