"""The shop assistant on the web chat widget: buttons as web chat cards, a tap, a question, the answer; in the
visitor's language (the widget says ja-JP)."""

from __future__ import annotations

from hub.jobs.tasks import drain_inbound
from tests.bots.world import Shop, run_jobs
from tests.webchat.factories import connect, hello, receive, say, webchat_channel


def test_menu_then_faq_then_satisfied_on_the_web_chat(backend, client, sandbox):
    shop = Shop(client, sandbox)
    channel_id = webchat_channel()
    shop.bot([channel_id])
    with connect(client, channel_id) as ws:
        hello(ws)
        assert say(ws, "こんにちは", "hello-01")["type"] == "ack"
        drain_inbound()
        run_jobs()
        card = receive(ws)["card"]
        assert card["text"] == "こんにちは！ご用件をお選びください。" and card["kind"] == "buttons"
        assert [b["title"] for b in card["buttons"]] == ["質問する", "注文状況", "商品を探す", "ポイント", "返金"]
        assert card["button_label"] == "選択する"  # five choices: the menu's own button, in Japanese
        ws.send_json({"type": "button", "client_id": "menu-tap-01", "button_id": "opt:faq", "text": "質問する"})
        assert receive(ws) == {"type": "ack", "client_id": "menu-tap-01"}
        drain_inbound()
        run_jobs()
        assert receive(ws)["card"]["text"] == "ご質問をどうぞ。"
        assert say(ws, "営業時間は何時までですか？", "question-01")["type"] == "ack"
        drain_inbound()
        run_jobs()
        assert receive(ws)["card"]["text"] == "毎日11時から20時まで営業しています（香港時間）。"
        helped = receive(ws)["card"]
        assert helped["text"] == "お役に立ちましたか？"
        assert [b["title"] for b in helped["buttons"]] == ["はい", "いいえ"]
        assert "button_label" not in helped  # two choices: a row of buttons, no list to open
