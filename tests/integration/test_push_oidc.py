"""Push authentication with google-auth's real verification, against locally signed ID tokens.

The certs are served as Google serves them (a JSON map of key id -> PEM x509 certificate) from
a local HTTP server, and GoogleOidcAuthenticator is pointed at it with certs_url.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import Flask, jsonify
from google.auth import crypt, jwt

from devstack.processes import free_port
from devstack.stripe_fixtures import Payment, card_success_events
from ingest.normalize import normalize_event
from servicekit.oidc import GoogleOidcAuthenticator, OidcAuthError
from tests.fakes import FakeCollection, FakePublisher, push_envelope
from tests.standin_server import serving
from writer.app import create_app
from writer.config import WriterConfig

AUDIENCE = "https://writer.example.run.app/pubsub/push"
SIGNER = "pubsub-push@project.iam.gserviceaccount.com"
KEY_ID = "test-key-1"


def key_and_cert() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test signer")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def google_key():
    return key_and_cert()


@pytest.fixture(scope="module")
def attacker_key():
    return key_and_cert()


class CertsServer:
    def __init__(self, cert_pem: bytes) -> None:
        self.hits = 0
        self.app = Flask("certs")

        @self.app.get("/oauth2/v1/certs")
        def certs():
            self.hits += 1
            response = jsonify({KEY_ID: cert_pem.decode()})
            response.headers["Cache-Control"] = "public, max-age=300"
            return response

        @self.app.get("/broken")
        def broken():
            return "unavailable", 500


@pytest.fixture
def certs(google_key):
    server = CertsServer(google_key[1])
    with serving(server.app) as url:
        server.url = f"{url}/oauth2/v1/certs"
        server.base = url
        yield server


def token(key_pem: bytes, **overrides) -> str:
    now = int(time.time())
    claims = {
        "iss": "https://accounts.google.com",
        "aud": AUDIENCE,
        "azp": "1234567890",
        "sub": "1234567890",
        "email": SIGNER,
        "email_verified": True,
        "iat": now,
        "exp": now + 3600,
    } | overrides
    signer = crypt.RSASigner.from_string(key_pem, key_id=KEY_ID)
    return jwt.encode(signer, claims).decode()


def bearer(key_pem: bytes, **overrides) -> str:
    return f"Bearer {token(key_pem, **overrides)}"


def authenticator(certs_url: str) -> GoogleOidcAuthenticator:
    return GoogleOidcAuthenticator(AUDIENCE, SIGNER, certs_url=certs_url)


def test_a_token_from_the_push_service_account_is_accepted(certs, google_key):
    authenticator(certs.url).verify(bearer(google_key[0]))


def test_googles_certs_are_fetched_once_and_reused_while_fresh(certs, google_key):
    check = authenticator(certs.url)
    for _ in range(3):
        check.verify(bearer(google_key[0]))
    assert certs.hits == 1


@pytest.mark.parametrize(
    ("case", "header", "status"),
    [
        ("missing", lambda key, attacker: None, 401),
        ("not a bearer token", lambda key, attacker: "Basic dXNlcjpwYXNz", 401),
        ("garbage", lambda key, attacker: "Bearer not.a.jwt", 401),
        (
            "expired",
            lambda key, attacker: bearer(
                key, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600
            ),
            401,
        ),
        (
            "wrong audience",
            lambda key, attacker: bearer(key, aud="https://someone-else.run.app/"),
            401,
        ),
        ("signed by another key", lambda key, attacker: bearer(attacker), 401),
        (
            "wrong signer",
            lambda key, attacker: bearer(key, email="intruder@other.iam.gserviceaccount.com"),
            403,
        ),
        ("unverified email", lambda key, attacker: bearer(key, email_verified=False), 403),
        ("wrong issuer", lambda key, attacker: bearer(key, iss="https://evil.example"), 403),
    ],
)
def test_bad_tokens_are_refused(certs, google_key, attacker_key, case, header, status):
    with pytest.raises(OidcAuthError) as refused:
        authenticator(certs.url).verify(header(google_key[0], attacker_key[0]))
    assert refused.value.status == status, refused.value.reason


@pytest.mark.parametrize("where", ["unreachable", "failing"])
def test_a_token_that_cannot_be_verified_right_now_is_refused(certs, google_key, where):
    url = (
        f"http://127.0.0.1:{free_port()}/certs"
        if where == "unreachable"
        else f"{certs.base}/broken"
    )
    with pytest.raises(OidcAuthError) as refused:
        authenticator(url).verify(bearer(google_key[0]))
    assert refused.value.status == 401
    assert "cannot be verified right now" in refused.value.reason


# --- the writer app with the real authenticator, through Flask's test client -----------------

CONFIG = WriterConfig(
    project="p",
    topic="t",
    dead_letter_topic="dl",
    dead_letter_subscription="dls",
    wix_api_key="key",
    wix_site_id="site",
    push_audience=AUDIENCE,
    push_service_account=SIGNER,
    schema_file=Path("unused"),
)


def push_body(update) -> dict:
    return push_envelope(
        update.to_json(),
        update.attributes(),
        subscription="projects/p/subscriptions/stripe-payments-writer",
        deliveryAttempt=1,
    )


@pytest.mark.parametrize(
    ("case", "authorization", "status"),
    [
        ("valid", lambda key, attacker: bearer(key), 204),
        ("missing", lambda key, attacker: None, 401),
        (
            "expired",
            lambda key, attacker: bearer(
                key, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600
            ),
            401,
        ),
        ("wrong audience", lambda key, attacker: bearer(key, aud="https://other/"), 401),
        ("wrong signer", lambda key, attacker: bearer(attacker), 401),
        (
            "wrong email",
            lambda key, attacker: bearer(key, email="x@y.iam.gserviceaccount.com"),
            403,
        ),
    ],
)
def test_the_writer_applies_only_authenticated_pushes(
    certs, google_key, attacker_key, case, authorization, status
):
    collection, dead_letters = FakeCollection(), FakePublisher()
    app = create_app(CONFIG, collection, dead_letters, authenticator(certs.url))
    update = normalize_event(card_success_events(Payment())[0])
    header = authorization(google_key[0], attacker_key[0])
    response = app.test_client().post(
        "/pubsub/push",
        json=push_body(update),
        headers={"Authorization": header} if header else {},
    )
    assert response.status_code == status
    written = update.payment_intent_id in collection.items
    assert written is (status == 204)
    assert dead_letters.published == []
