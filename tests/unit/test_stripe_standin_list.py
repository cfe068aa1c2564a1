"""The Stripe stand-in's PaymentIntent list and its seeding control, through Flask's test client:
paging both ways, filters, the seed's mix and its oracle."""

from __future__ import annotations

from collections import Counter

import pytest

from devstack.stripe_standin import create_stripe_standin

AUTH = {"Authorization": "Bearer sk_test_list"}
SINCE, UNTIL = 1_600_000_000, 1_700_000_000


@pytest.fixture
def client():
    app = create_stripe_standin()
    with app.test_client() as c:
        seeded = c.post(
            "/_standin/payment_intents/seed",
            json={"count": 300, "since": SINCE, "until": UNTIL, "seed": 4},
        )
        assert seeded.status_code == 200
        c.seeded = seeded.get_json()["payment_intents"]
        yield c


def listed(client, query: str) -> dict:
    response = client.get(f"/v1/payment_intents?{query}", headers=AUTH)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_pages_forward_with_starting_after_and_back_with_ending_before(client):
    first = listed(client, "limit=100")
    second = listed(client, f"limit=100&starting_after={first['data'][-1]['id']}")
    back = listed(client, f"limit=100&ending_before={second['data'][0]['id']}")
    assert [i["id"] for i in back["data"]] == [i["id"] for i in first["data"]]
    assert first["has_more"] and second["has_more"]
    assert not {i["id"] for i in first["data"]} & {i["id"] for i in second["data"]}
    assert first["url"] == "/v1/payment_intents" and first["object"] == "list"


def test_the_default_page_is_ten_and_the_created_range_filters(client):
    assert len(listed(client, "")["data"]) == 10
    middle = (SINCE + UNTIL) // 2
    newer = listed(client, f"limit=100&created[gte]={middle}")
    assert newer["data"] and all(i["created"] >= middle for i in newer["data"])
    exact = newer["data"][0]["created"]
    assert [i["created"] for i in listed(client, f"created={exact}")["data"]] == [exact]


def test_only_the_expanded_fields_are_objects(client):
    plain = listed(client, "limit=100")["data"]
    expanded = listed(client, "limit=100&expand[]=data.latest_charge&expand[]=data.customer")
    assert all(not isinstance(i["latest_charge"], dict) for i in plain)
    charged = [i for i in expanded["data"] if i["latest_charge"]]
    assert charged and all(i["latest_charge"]["object"] == "charge" for i in charged)
    assert all(i["customer"]["object"] == "customer" for i in expanded["data"])


def test_the_seed_mixes_outcomes_and_methods_and_answers_each_record(client):
    expected = client.seeded
    assert len(expected) == 300
    statuses = Counter(e["status"] if e else "none" for e in expected.values())
    assert set(statuses) == {
        "succeeded",
        "refunded",
        "partially_refunded",
        "failed",
        "canceled",
        "none",
    }
    methods = {e["paidWith"] for e in expected.values() if e and e["paidWith"]}
    assert {"Card", "Apple Pay", "Google Pay", "Link", "US bank account"} <= methods
    intents = listed(client, "limit=100&created[gte]=0")["data"]
    assert all(SINCE <= i["created"] < UNTIL for i in intents)


def test_the_seed_records_no_events_unless_asked(client):
    events = client.get("/v1/events?limit=100", headers=AUTH).get_json()["data"]
    assert events == []
    client.post(
        "/_standin/payment_intents/seed",
        json={"count": 5, "since": SINCE, "until": UNTIL, "events": True},
    )
    events = client.get("/v1/events?limit=100", headers=AUTH).get_json()["data"]
    assert events and all(e["created"] >= SINCE for e in events)


@pytest.mark.parametrize(
    "body", [{}, {"count": 1, "since": 10}, {"count": 1, "since": 10, "until": 5}]
)
def test_a_bad_seed_request_is_refused(client, body):
    assert client.post("/_standin/payment_intents/seed", json=body).status_code == 400
