"""Salience scores and levels."""

from __future__ import annotations

from nlp.salience import HIGH, LOW, Signals, level, rank, score


def test_title_and_lead_with_repeats_is_high() -> None:
    s = Signals(mentions=3, sent_indexes=(0, 1, 5), first_offset=0, text_length=1000)
    value = score(s, max_mentions=3)
    assert value >= HIGH and level(s, value, is_top=True) == "high"


def test_single_late_mention_is_low() -> None:
    s = Signals(mentions=1, sent_indexes=(9,), first_offset=900, text_length=1000)
    value = score(s, max_mentions=5)
    assert value < LOW and level(s, value, is_top=False) == "low"


def test_mentioned_in_lead_once_is_medium() -> None:
    s = Signals(mentions=1, sent_indexes=(2,), first_offset=200, text_length=1000)
    value = score(s, max_mentions=4)
    assert level(s, value, is_top=False) == "medium"


def test_rank_orders_and_bounds() -> None:
    main = Signals(5, (0, 1, 3, 4, 6), 0, 2000)
    side = Signals(1, (8,), 1800, 2000)
    (v_main, l_main), (v_side, l_side) = rank([main, side])
    assert 0.0 <= v_side < v_main <= 1.0
    assert (l_main, l_side) == ("high", "low")
    assert rank([]) == []


def test_top_entity_with_repeats_is_high_even_outside_the_lead() -> None:
    body_only = Signals(4, (5, 6, 7, 9), 700, 1000)
    passing = Signals(1, (12,), 950, 1000)
    (value, lvl), _ = rank([body_only, passing])
    assert value < HIGH and lvl == "high"
