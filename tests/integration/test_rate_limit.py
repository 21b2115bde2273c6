"""The Twilio webhooks anyone can reach answer 429 with Retry-After past the limit, before the
signature is even checked; other clients and other endpoints are not held back."""

from halsosupport.rate_limit import RateLimit
from tests.integration.conftest import start_intake


def test_a_flood_on_the_sms_webhook_gets_429_with_retry_after(database, kafka_bootstrap):
    with start_intake(database, kafka_bootstrap, public_rate_limit="3/minute") as intake:
        answers = [
            intake.client.post("/v1/twilio/sms", data={"From": "+46700000000", "Body": "sjuk"})
            for _ in range(4)
        ]
        assert [a.status_code for a in answers[:3]] == [403, 403, 403]  # unsigned: refused
        assert answers[3].status_code == 429
        assert 1 <= int(answers[3].headers["Retry-After"]) <= 60
        # the nurse's API is not a public endpoint and is not counted
        assert intake.client.get("/v1/employees", headers=intake.headers).status_code == 200


def test_each_client_address_has_its_own_window():
    limit = RateLimit("2/minute")
    assert [limit.retry_after_s("10.0.0.1") for _ in range(2)] == [None, None]
    assert limit.retry_after_s("10.0.0.1") is not None
    assert limit.retry_after_s("10.0.0.2") is None
