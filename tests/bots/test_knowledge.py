"""The knowledge base: who may edit it, CSV out and in, and how an answer is found in each language."""

from __future__ import annotations

from flows.bots import knowledge
from flows.bots.models import KnowledgeEntry
from flows.bots.steps import valid
from flows.bots.texts import asks_for_person, canonical, detect
from tests.bots.world import Shop


def entry(id: int, locale: str, question: str, keywords: list[str], tag: str | None = None) -> KnowledgeEntry:
    return KnowledgeEntry(id=id, locale=locale, question=question, answer=f"answer {id}", keywords=keywords, tag=tag)


def test_marketers_edit_the_knowledge_base_and_agents_may_not(backend, client, sandbox):
    shop = Shop(client, sandbox)
    made = client.post("/api/v1/knowledge", headers=shop.marketer, json={
        "locale": "zh-Hant", "question": "有沒有門市？", "answer": "有，我們在銅鑼灣。", "keywords": ["門市", "分店"]})
    assert made.status_code == 201, made.text
    entry_id = made.json()["id"]
    assert client.post("/api/v1/knowledge", headers=shop.agent, json={
        "locale": "en", "question": "q", "answer": "a"}).status_code == 403
    assert client.patch(f"/api/v1/knowledge/{entry_id}", headers=shop.agent, json={"answer": "x"}).status_code == 403
    assert client.post("/api/v1/knowledge", headers=shop.marketer, json={
        "locale": "fr", "question": "q", "answer": "a"}).status_code == 422
    changed = client.patch(f"/api/v1/knowledge/{entry_id}", headers=shop.marketer,
                           json={"answer": "有，我們在銅鑼灣和旺角。"})
    assert changed.status_code == 200 and changed.json()["answer"] == "有，我們在銅鑼灣和旺角。"
    assert client.patch("/api/v1/knowledge/99999", headers=shop.marketer, json={"answer": "x"}).status_code == 404
    listed = client.get("/api/v1/knowledge?locale=zh-Hant", headers=shop.marketer).json()
    assert [e["question"] for e in listed] == ["有沒有門市？"]
    assert client.delete(f"/api/v1/knowledge/{entry_id}", headers=shop.marketer).status_code == 204
    assert client.get("/api/v1/knowledge", headers=shop.marketer).json() == []


def test_the_knowledge_base_goes_out_and_back_in_as_csv(backend, client, sandbox):
    shop = Shop(client, sandbox)
    client.post("/api/v1/knowledge", headers=shop.marketer, json={
        "locale": "ja", "question": "営業時間", "answer": "11時から20時まで", "keywords": ["営業時間", "何時"]})
    exported = client.get("/api/v1/knowledge/export.csv", headers=shop.marketer)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    text = exported.text.replace("11時から20時まで", "10時から21時まで")
    text += "\n,en,Do you have a store?,Yes: Causeway Bay.,store|shop,,true\n"
    imported = client.post("/api/v1/knowledge/import", headers={**shop.marketer, "Content-Type": "text/csv"},
                           content=text.encode())
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"added": 1, "updated": 1}
    answers = {e["question"]: (e["answer"], e["keywords"]) for e in
               client.get("/api/v1/knowledge", headers=shop.marketer).json()}
    assert answers == {"営業時間": ("10時から21時まで", ["営業時間", "何時"]),
                       "Do you have a store?": ("Yes: Causeway Bay.", ["store", "shop"])}
    bad = client.post("/api/v1/knowledge/import", headers={**shop.marketer, "Content-Type": "text/csv"},
                      content=b"locale,question,answer\nfr,q,a\n")
    assert bad.status_code == 422 and "line 2" in bad.json()["detail"]
    assert len(client.get("/api/v1/knowledge", headers=shop.marketer).json()) == 2  # nothing of the bad file


def test_answers_are_found_in_text_without_spaces_and_two_candidates_make_the_bot_unsure():
    entries = [entry(1, "zh-Hant", "營業時間", ["營業時間", "幾點", "開門"]),
               entry(2, "zh-Hant", "送貨", ["送貨", "運費"])]
    found = knowledge.ranked(entries, "請問你們幾點開門？")
    assert found is not None and found.entry.id == 1 and found.confidence >= 0.8
    assert knowledge.ranked(entries, "今天天氣很好") is None
    tied = knowledge.ranked(entries, "幾點送貨？")
    assert tied is not None and tied.confidence < 0.5  # one keyword each: below a 0.5 threshold
    latin = [entry(3, "en", "Opening hours", ["open", "hours"])]
    assert knowledge.ranked(latin, "Are you reopening?") is None  # "open" must start a word in Latin text


def test_collect_checks_emails_phones_dates_and_order_numbers():
    assert valid("email", " Mei@Example.com ") == "mei@example.com"
    assert valid("email", "mei@example") is None
    assert valid("phone", "+852 9123 4567") == "+85291234567"
    assert valid("phone", "9123 4567", "HK") == "+85291234567"
    assert valid("phone", "12345") is None
    assert valid("date", "2026年12月24日") == "2026-12-24"
    assert valid("date", "2026-02-30") is None
    assert valid("order_number", "abcd efgh") == "ABCD-EFGH"
    assert valid("order_number", "ABC") is None


def test_a_customer_asking_for_a_person_in_any_language():
    asking = ("agent", "Agent!", "人工", "我要人工客服", "担当者", "担当者と話したい")
    assert all(asks_for_person(text) for text in asking)
    assert not any(asks_for_person(text) for text in ("agenda", "I'd like an agent's opinion on sizes", "人", ""))
    assert (detect("營業時間幾點？"), detect("営業時間は？"), detect("what time do you open"), detect("OK")) == (
        "zh-Hant", "ja", "en", None)
    assert (canonical("zh_Hant"), canonical("ja-JP"), canonical(None)) == ("zh-Hant", "ja", "en")


def test_the_bots_page_is_for_marketers_and_admins(backend, client, sandbox):
    from fastapi.testclient import TestClient

    from hub.composition import create_app
    from hub.runtime.settings import get_settings
    from tests.factories import PASSWORD

    Shop(client, sandbox)
    base = get_settings().public_url
    for email, status in (("mkt@shop.test", 200), ("mei@shop.test", 403)):
        with TestClient(create_app(), base_url=base) as browser:  # the session cookie is Secure on https
            browser.post("/login", data={"email": email, "password": PASSWORD})
            page = browser.get("/bots")
            assert page.status_code == status
            if status == 200:
                assert "/static/js/bots.js" in page.text and 'id="knowledge-table"' in page.text
