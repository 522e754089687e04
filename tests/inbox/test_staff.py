"""Admins keep users and teams; marketers read transcripts only when an admin allows it, and never answer."""

from __future__ import annotations

from tests.factories import PASSWORD, token_for


def test_an_admin_builds_a_team_and_its_agent_sees_exactly_its_channels(client, world):
    admin = token_for(client, "boss@shop.test")
    team = client.post("/api/v1/teams", json={"name": "Tokyo 東京", "channel_ids": [world.channel_b]}, headers=admin)
    assert team.status_code == 201, team.text
    new = client.post("/api/v1/users", headers=admin, json={
        "email": "Kenji@Shop.test", "password": "long enough pw", "role": "agent", "name": "健二",
        "locale": "ja", "team_ids": [team.json()["id"]]})
    assert new.status_code == 201, new.text
    body = new.json()
    assert body["email"] == "kenji@shop.test" and body["team_ids"] == [team.json()["id"]]
    assert "password_hash" not in body and "password" not in body
    kenji = {"Authorization": "Bearer " + client.post("/api/v1/auth/token", data={
        "username": "kenji@shop.test", "password": "long enough pw"}).json()["access_token"]}
    assert client.get(f"/api/v1/conversations/{world.conversation_b}", headers=kenji).status_code == 200
    assert client.get(f"/api/v1/conversations/{world.conversation_a}", headers=kenji).status_code == 404

    moved = client.patch(f"/api/v1/teams/{team.json()['id']}", json={"channel_ids": [world.channel_a]}, headers=admin)
    assert moved.json()["channel_ids"] == [world.channel_a]
    assert client.get(f"/api/v1/conversations/{world.conversation_b}", headers=kenji).status_code == 404
    assert client.get(f"/api/v1/conversations/{world.conversation_a}", headers=kenji).status_code == 200


def test_bad_staff_input_gets_a_reason(client, world):
    admin = token_for(client, "boss@shop.test")
    dup = client.post("/api/v1/users", headers=admin, json={"email": "a@shop.test", "password": "long enough pw",
                                                            "role": "agent"})
    assert dup.status_code == 422 and "exists already" in dup.json()["detail"]
    short = client.post("/api/v1/users", headers=admin, json={"email": "x@shop.test", "password": "short",
                                                              "role": "agent"})
    assert short.status_code == 422
    ghost = client.post("/api/v1/teams", json={"name": "Ghosts", "member_ids": [999]}, headers=admin)
    assert ghost.status_code == 422 and "999" in ghost.json()["detail"]
    me = client.get("/api/v1/me", headers=admin).json()["id"]
    demote = client.patch(f"/api/v1/users/{me}", json={"role": "agent"}, headers=admin)
    assert demote.status_code == 422 and "own admin" in demote.json()["detail"]
    assert client.patch("/api/v1/users/4242", json={"name": "x"}, headers=admin).status_code == 404


def test_only_admins_see_or_change_the_staff(client, world):
    agent = token_for(client, "a@shop.test")
    assert client.get("/api/v1/users", headers=agent).status_code == 403
    assert client.post("/api/v1/teams", json={"name": "Mine"}, headers=agent).status_code == 403
    assert client.patch(f"/api/v1/users/{world.agent_a}", json={"role": "admin"}, headers=agent).status_code == 403


def test_a_marketer_reads_transcripts_only_when_allowed_and_never_answers(client, world):
    admin = token_for(client, "boss@shop.test")
    marketer = token_for(client, "ads@shop.test")
    assert client.get("/api/v1/conversations", headers=marketer).json()["items"] == []
    assert client.get(f"/api/v1/conversations/{world.conversation_a}/messages", headers=marketer).status_code == 404

    users = {u["email"]: u for u in client.get("/api/v1/users", headers=admin).json()}
    allowed = client.patch(f"/api/v1/users/{users['ads@shop.test']['id']}", headers=admin,
                           json={"reads_transcripts": True, "team_ids": [world.team_a]})
    assert allowed.status_code == 200 and allowed.json()["reads_transcripts"] is True
    assert client.get("/api/v1/conversations", headers=marketer).status_code == 401  # the change ended the session

    marketer = token_for(client, "ads@shop.test")
    assert [c["id"] for c in client.get("/api/v1/conversations", headers=marketer).json()["items"]] == [
        world.conversation_a]
    thread = client.get(f"/api/v1/conversations/{world.conversation_a}/messages", headers=marketer)
    assert thread.status_code == 200 and thread.json()[0]["text"] == "想退貨，請問點做？"
    assert client.get(f"/api/v1/conversations/{world.conversation_b}", headers=marketer).status_code == 404
    for method, path, body in (
        ("post", f"/api/v1/conversations/{world.conversation_a}/messages", {"text": "hi"}),
        ("post", f"/api/v1/conversations/{world.conversation_a}/notes", {"text": "note"}),
        ("post", f"/api/v1/conversations/{world.conversation_a}/status", {"status": "resolved"}),
        ("post", f"/api/v1/conversations/{world.conversation_a}/tags/vip", None),
        ("put", f"/api/v1/conversations/{world.conversation_a}/assignee", {"assignee_id": None}),
    ):
        answer = client.request(method.upper(), path, json=body, headers=marketer)
        assert answer.status_code == 403, (path, answer.text)
    with_password = client.post("/api/v1/auth/token", data={"username": "ads@shop.test", "password": PASSWORD})
    assert with_password.status_code == 200
