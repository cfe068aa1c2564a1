"""The page policy: its own inline scripts by hash, Stripe.js, nothing else; never framed."""

import base64
import hashlib

from flask import Flask

from servicekit.headers import API_CSP, install_security_headers, page_csp

PAGE = """<!doctype html><html><head>
<script type="importmap">{"imports": {"a": "/a.js"}}</script>
<script src="/wix/element.js"></script>
</head><body><script type="module">import '/a.js';</script></body></html>"""


def sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def directives(policy: str) -> dict[str, list[str]]:
    parts = (d.split() for d in policy.split(";"))
    return {p[0]: p[1:] for p in parts if p}


def test_a_page_may_run_its_own_inline_scripts_and_stripe_js_only():
    policy = directives(page_csp(PAGE))
    assert policy["script-src"] == [
        "'self'",
        sha('{"imports": {"a": "/a.js"}}'),
        sha("import '/a.js';"),
        "https://js.stripe.com",
        "https://*.js.stripe.com",
    ]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert "https://hooks.stripe.com" in policy["frame-src"]


def test_an_inline_script_added_by_an_injection_is_not_allowed():
    injected = PAGE.replace("</body>", "<script>steal()</script></body>")
    assert sha("steal()") not in page_csp(PAGE)
    assert sha("steal()") in page_csp(injected)  # only if it was in the page served


def test_a_view_may_set_its_own_policy_and_caching():
    app = Flask("t")
    install_security_headers(app)

    @app.get("/own")
    def own():
        return (
            "x",
            200,
            {"Content-Security-Policy": "default-src 'self'", "Cache-Control": "max-age=60"},
        )

    @app.get("/page")
    def page():
        return PAGE

    @app.get("/json")
    def json_view():
        return {"ok": True}

    client = app.test_client()
    own_answer = client.get("/own")
    assert own_answer.headers["Content-Security-Policy"] == "default-src 'self'"
    assert own_answer.headers["Cache-Control"] == "max-age=60"
    assert client.get("/page").headers["Content-Security-Policy"] == page_csp(PAGE)
    json_answer = client.get("/json")
    assert json_answer.headers["Content-Security-Policy"] == API_CSP
    assert json_answer.headers["X-Content-Type-Options"] == "nosniff"
