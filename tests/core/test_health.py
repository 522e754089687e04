from fastapi.testclient import TestClient

from hub.composition import create_app
from hub.runtime import broker, db
from hub.runtime.settings import get_settings

METRICS_TOKEN = "metrics-token-for-the-scraper-0123"


def test_healthz_readyz_and_metrics(backend, monkeypatch):
    monkeypatch.setenv("HUB_METRICS_TOKEN", METRICS_TOKEN)
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").status_code == 200
        client.post("/webhooks/telegram/12345", content=b"{}")
        text = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
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


def test_metrics_need_their_token_or_a_setting_that_makes_them_public(backend, monkeypatch):
    with TestClient(create_app()) as client:
        closed = client.get("/metrics")
        assert closed.status_code == 404 and "HUB_METRICS_TOKEN" in closed.json()["detail"]
    monkeypatch.setenv("HUB_METRICS_TOKEN", METRICS_TOKEN)
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer not-the-token"}).status_code == 401
        assert client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200
    monkeypatch.delenv("HUB_METRICS_TOKEN")
    monkeypatch.setenv("HUB_PUBLIC_METRICS", "true")
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        assert "hub_http_requests_total" in client.get("/metrics").text


def test_the_api_map_is_for_signed_in_users_unless_docs_are_public(backend, monkeypatch):
    from tests.factories import make_user, token_for

    make_user("docs@shop.test")
    with TestClient(create_app()) as client:
        for path in ("/openapi.json", "/docs", "/redoc"):
            assert client.get(path).status_code == 401, path
        bearer = token_for(client, "docs@shop.test")
        assert "/api/v1/users/{user_id}/sessions" in client.get("/openapi.json", headers=bearer).json()["paths"]
        assert "swagger" in client.get("/docs", headers=bearer).text.lower()
    monkeypatch.setenv("HUB_PUBLIC_DOCS", "true")
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        assert client.get("/openapi.json").status_code == 200 and client.get("/docs").status_code == 200
