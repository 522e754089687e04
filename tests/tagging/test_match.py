"""Finding keywords and patterns in Chinese, Japanese and English text."""

import pytest

from hub.tagging import match
from hub.tagging.match import KeywordIndex, PatternError, compile_pattern, normalize

ENGINES = ["automaton", "scan"]


@pytest.mark.parametrize(("raw", "folded"), [
    ("ＲＥＦＵＮＤ", "refund"),
    ("ｷｬﾝｾﾙ", "キャンセル"),
    ("注文番号：５５２１", "注文番号:5521"),
    ("  Hello\u3000\tWORLD  ", "hello world"),
    ("Straße", "strasse"),
])
def test_text_is_folded_for_width_case_and_spaces(raw, folded):
    assert normalize(raw) == folded


@pytest.mark.parametrize("engine", ENGINES)
def test_keywords_are_found_inside_sentences_without_spaces(engine):
    index = KeywordIndex({0: ["退款"], 1: ["返金", "返品"], 2: ["ＲＥＦＵＮＤ"], 3: ["キャンセル"]}, engine=engine)
    assert index.find(normalize("我想退款，請問要幾耐？")) == {0}
    assert index.find(normalize("注文した商品を返品したいです。返金はいつになりますか？")) == {1}
    assert index.find(normalize("Refund please")) == {2}
    assert index.find(normalize("ｷｬﾝｾﾙお願いします")) == {3}
    assert index.find(normalize("在庫ありますか")) == set()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_latin_keyword_must_start_a_word_but_may_run_on(engine):
    index = KeywordIndex({0: ["ok"], 1: ["return"], 2: ["iphone"]}, engine=engine)
    assert index.find(normalize("Can I book a fitting?")) == set()
    assert index.find(normalize("Is it nonreturnable?")) == set()
    assert index.find(normalize("ok, and it's returned")) == {0, 1}
    assert index.find(normalize("我想買iPhone 15")) == {2}  # after a Han character a word starts
    assert index.find(normalize("books, then OK")) == {0}  # the second occurrence counts


def test_both_engines_agree_on_many_keywords():
    groups = {n: [f"商品{n}", f"item{n}", f"ｱｲﾃﾑ{n}"] for n in range(300)}
    automaton, scan = KeywordIndex(groups, engine="automaton"), KeywordIndex(groups, engine="scan")
    for text in ("我想問商品12同商品250", "item7 and item 8 and xitem9", "アイテム42はありますか", ""):
        assert automaton.find(normalize(text)) == scan.find(normalize(text))


def test_a_pattern_ignores_case_and_width():
    pattern = compile_pattern(r"(order|注文)\D{0,6}\d{4,}")
    assert pattern.search(match.fold_width("ORDER #12345"))
    assert pattern.search(match.fold_width("注文番号：５５２１"))
    assert not pattern.search(match.fold_width("order soon"))


@pytest.mark.parametrize(("source", "says"), [
    ("(refund", "pattern: '(refund' is not a valid regular expression"),
    ("x" * 501, "pattern: 501 characters is too long"),
    ("a*", "matches an empty message"),
    ("   ", "pattern: is empty"),
])
def test_an_unusable_pattern_is_refused_with_a_reason(source, says):
    with pytest.raises(PatternError, match=None) as refused:
        compile_pattern(source)
    assert says in str(refused.value)


@pytest.mark.skipif(not match.HAS_TIMEOUT, reason="needs the regex module")
def test_a_catastrophic_pattern_gives_up_instead_of_hanging(monkeypatch):
    monkeypatch.setattr(match, "PATTERN_TIMEOUT", 0.02)
    pattern = compile_pattern(r"^(a|aa)+$")
    assert pattern.search("a" * 60 + "!") is False


def test_without_a_timeout_nested_repetition_is_refused(monkeypatch):
    monkeypatch.setattr(match, "HAS_TIMEOUT", False)
    with pytest.raises(PatternError, match="repetition inside a repeated group"):
        compile_pattern(r"(\w+\s?)+$")
    assert compile_pattern(r"(order|注文)\s*#?\d{4,}").search("order #1234")
