"""Shared metadata rules of the readers (bot.ingest.readers.metadata): dates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.ingest.readers.metadata import parse_datetime


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-17", datetime(2024, 3, 17, tzinfo=UTC)),
        ("2024-03", datetime(2024, 3, 1, tzinfo=UTC)),
        ("2024-03-17T10:00:00Z", datetime(2024, 3, 17, 10, tzinfo=UTC)),
        ("2024-03-17T10:00:00", datetime(2024, 3, 17, 10, tzinfo=UTC)),
        ("2024-03-17T10:00:00-05:00", datetime(2024, 3, 17, 15, tzinfo=UTC)),
        ("Sun, 17 Mar 2024 10:00:00 GMT", datetime(2024, 3, 17, 10, tzinfo=UTC)),
        (1710669600, datetime(2024, 3, 17, 10, tzinfo=UTC)),
        (1710669600000, datetime(2024, 3, 17, 10, tzinfo=UTC)),
        ("1710669600", datetime(2024, 3, 17, 10, tzinfo=UTC)),
        ("next week", None),
        ("2024-13", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_datetime(value: object, expected: datetime | None) -> None:
    result = parse_datetime(value)
    assert result == expected
    if result is not None:
        assert result.tzinfo is UTC
