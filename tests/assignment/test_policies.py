"""Each policy's choice, as a pure function of candidates and what the conversation needs."""

from datetime import UTC, datetime, timedelta

import pytest

from hub.assignment.policies import Candidate, Need, choose, detect_language, language_of

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def agent(user_id: int, open_count: int = 0, capacity: int = 5, minutes_ago: int | None = None, **more) -> Candidate:
    last = None if minutes_ago is None else T0 - timedelta(minutes=minutes_ago)
    return Candidate(user_id=user_id, name=f"agent{user_id}", open_count=open_count, capacity=capacity,
                     last_assigned_at=last, **more)


@pytest.mark.parametrize(("text", "language"), [
    ("このジャケットのMサイズは在庫ありますか", "ja"),
    ("注文した商品を返品したいです。", "ja"),          # kanji with kana: Japanese
    ("ｻｲｽﾞ", "ja"),                                    # half-width katakana
    ("你好，我想問 A123 波鞋有冇 42 號？", "zh"),
    ("退貨", "zh"),                                     # Han without kana: Chinese
    ("Hi! Is the linen shirt available in blue?", "en"),
    ("👍🏻", "en"),
    ("", None), ("   ", None), (None, None),
])
def test_language_is_read_from_the_script(text, language):
    assert detect_language(text) == language


def test_an_agents_locale_names_their_language():
    assert [language_of(x) for x in ("zh_Hant", "ja-JP", "en", "", None)] == ["zh", "ja", "en", None, None]


def test_nobody_is_picked_who_is_offline_out_of_hours_or_full():
    pool = [agent(1, online=False), agent(2, in_hours=False), agent(3, open_count=5)]
    for kind in ("round_robin", "least_loaded", "sticky", "skill"):
        choice = choose(kind, pool, Need(previous_assignee_id=1, language="en"))
        assert choice.user_id is None, kind
    assert "outside its business hours" in choose("least_loaded", [pool[1]], Need()).reason
    assert "at capacity" in choose("least_loaded", [pool[2]], Need()).reason
    assert "online" in choose("least_loaded", [pool[0]], Need()).reason


def test_round_robin_takes_turns_by_who_was_assigned_least_recently():
    pool = [agent(1, open_count=0, minutes_ago=1), agent(2, open_count=4, minutes_ago=9), agent(3, minutes_ago=5)]
    assert choose("round_robin", pool, Need()).user_id == 2
    assert choose("round_robin", [*pool, agent(4, open_count=3)], Need()).user_id == 4  # never assigned: first


def test_least_loaded_ties_go_to_whoever_was_assigned_least_recently():
    pool = [agent(1, open_count=2, minutes_ago=30), agent(2, open_count=1, minutes_ago=1),
            agent(3, open_count=1, minutes_ago=20)]
    choice = choose("least_loaded", pool, Need())
    assert choice.user_id == 3 and "1 of 5 open" in choice.reason


def test_sticky_returns_the_customer_to_their_agent_unless_they_cannot_take_it():
    pool = [agent(1, open_count=0), agent(2, open_count=3)]
    assert choose("sticky", pool, Need(previous_assignee_id=2)).user_id == 2
    full = [agent(1, open_count=0), agent(2, open_count=5)]
    fallback = choose("sticky", full, Need(previous_assignee_id=2))
    assert fallback.user_id == 1 and "not available" in fallback.reason
    assert choose("sticky", pool, Need()).user_id == 1


def test_skill_routes_by_language_and_tags_and_waits_for_a_match():
    mei = agent(1, open_count=0, languages=frozenset({"zh", "en"}))
    yuki = agent(2, open_count=4, languages=frozenset({"ja"}))
    sam = agent(3, open_count=1, languages=frozenset({"en"}), skills=frozenset({"VIP"}))
    pool = [mei, yuki, sam]
    japanese = choose("skill", pool, Need(language="ja"))
    assert japanese.user_id == 2 and "reads Japanese" in japanese.reason
    assert choose("skill", pool, Need(language="zh")).user_id == 1
    assert choose("skill", pool, Need(language="en")).user_id == 1          # both read English: least loaded
    assert choose("skill", pool, Need(language="en", tags=frozenset({"vip"}))).user_id == 3  # tag + language
    busy = [mei, agent(2, open_count=5, languages=frozenset({"ja"})), sam]
    waiting = choose("skill", busy, Need(language="ja"))
    assert waiting.user_id is None and waiting.reason == "waiting for an agent who reads Japanese"
    nobody_reads = choose("skill", [mei, sam], Need(language="ja"))
    assert nobody_reads.user_id == 1 and "nobody on the team reads Japanese" in nobody_reads.reason


def test_a_hand_on_never_picks_the_agent_it_takes_from():
    pool = [agent(1, open_count=0), agent(2, open_count=3)]
    assert choose("least_loaded", pool, Need(exclude=frozenset({1}))).user_id == 2
    assert choose("sticky", pool, Need(previous_assignee_id=1, exclude=frozenset({1}))).user_id == 2
    assert "no other agent" in choose("round_robin", [pool[0]], Need(exclude=frozenset({1}))).reason
