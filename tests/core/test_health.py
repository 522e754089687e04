from fastapi.testclient import TestClient

from hub import broker, db
from hub.api.app import create_app
from hub.settings import get_settings


def test_healthz_readyz_and_metrics(backend):
    with TestClient(create_app()) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").status_code == 200
        client.post("/webhooks/telegram/12345", content=b"{}")
        text = client.get("/metrics").text
        assert 'hub_webhook_events_total{outcome="unknown_channel",provider="telegram"}' in text
        assert 'hub_queue_depth{queue="inbound"}' in text
        assert "hub_http_requests_total" in text
        assert client.get("/healthz").headers["X-Request-ID"]


def test_readyz_says_why_when_redis_is_unreachable(backend, monkeypatch):
    with TestClient(create_app()) as client:
        monkeypatch.setenv("HUB_REDIS_URL", "redis://127.0.0.1:1/0")
        get_settings.cache_clear()
        broker.reset()
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["reasons"] == ["redis unreachable"]


def test_readyz_says_why_when_the_database_is_unreachable(backend, monkeypatch):
    with TestClient(create_app()) as client:
        monkeypatch.setenv("HUB_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
        get_settings.cache_clear()
        db.reset_engines()
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["reasons"][0].startswith("database unreachable")
