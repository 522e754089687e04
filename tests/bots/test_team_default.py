"""A team's default automation mode for new conversations on its channels (over the channel's own)."""

from __future__ import annotations

from tests.bots.world import Phone, Shop


def test_a_team_default_decides_who_answers_new_conversations(backend, client, sandbox):
    shop = Shop(client, sandbox)
    channel_id = shop.channel("telegram")
    shop.bot([channel_id])  # the channel's own default is now `bot`

    changed = client.patch(f"/api/v1/teams/{shop.support}", headers=shop.admin, json={"automation_default": "human"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["automation_default"] == "human"
    listed = {t["id"]: t["automation_default"] for t in client.get("/api/v1/teams", headers=shop.admin).json()}
    assert listed == {shop.support: "human", shop.returns: "channel"}

    first = Phone(shop, "telegram", "700100401", "陳大文")
    first.says("你好")
    assert first.conversation().automation_mode == "human"
    assert first.received() == []  # the team's people answer: the bot says nothing

    client.patch(f"/api/v1/teams/{shop.returns}", headers=shop.admin, json={"automation_default": "bot"})
    second = Phone(shop, "telegram", "700100402", "李小明")
    second.says("你好")  # the channel's teams disagree: the channel's own default (bot)
    assert second.conversation().automation_mode == "bot" and second.received()

    for team in (shop.support, shop.returns):
        client.patch(f"/api/v1/teams/{team}", headers=shop.admin, json={"automation_default": "channel"})
    assert {t["automation_default"] for t in client.get("/api/v1/teams", headers=shop.admin).json()} == {"channel"}

    refused = client.patch(f"/api/v1/teams/{shop.support}", headers=shop.admin, json={"automation_default": "robot"})
    assert refused.status_code == 422
    agent = client.patch(f"/api/v1/teams/{shop.support}", headers=shop.agent, json={"automation_default": "bot"})
    assert agent.status_code in (401, 403)
