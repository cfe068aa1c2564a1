"""The scan finds a secret in any line of any file, plain or JSON-escaped, and names it only."""

from tests.secret_scan import scan

SECRET = "clé-secrète-0042"


def test_a_secret_is_found_plain_or_json_escaped_and_masked_in_the_report(tmp_path):
    (tmp_path / "a.log").write_text(f'{{"message": "ok"}}\nkey {SECRET}\n', encoding="utf-8")
    (tmp_path / "b.log").write_text('{"detail": "cl\\u00e9-secr\\u00e8te-0042"}\n')
    findings = scan(sorted(tmp_path.glob("*.log")), {"STRIPE_SECRET_KEY": SECRET})
    assert [(f.secret, f.where) for f in findings] == [
        ("STRIPE_SECRET_KEY", "a.log:2"),
        ("STRIPE_SECRET_KEY", "b.log:1"),
    ]
    assert all("0042" not in f.line for f in findings)


def test_clean_logs_have_no_findings(tmp_path):
    (tmp_path / "a.log").write_text('{"message": "payment intent created", "id": "pi_1"}\n')
    assert scan([tmp_path / "a.log"], {"client_secret": "pi_1_secret_abcdef"}) == []
