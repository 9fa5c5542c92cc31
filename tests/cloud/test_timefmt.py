"""The one ISO 8601 formatter family (labkit/cloud/core/timefmt.py): AWS's shapes, truncated."""
from __future__ import annotations

import datetime as dt

from labkit.cloud.core.timefmt import iso_millis, iso_seconds

EPOCH = 1764636244.1239  # 2025-12-02T00:44:04.1239Z


def test_every_input_form_gives_the_same_utc_instant() -> None:
    aware = dt.datetime.fromtimestamp(EPOCH, tz=dt.timezone.utc)
    seoul = aware.astimezone(dt.timezone(dt.timedelta(hours=9)))
    forms = [EPOCH, str(EPOCH), aware, aware.replace(tzinfo=None), seoul, seoul.isoformat(), aware.isoformat().replace("+00:00", "Z")]
    assert {iso_seconds(v) for v in forms} == {"2025-12-02T00:44:04Z"}
    assert {iso_millis(v) for v in forms} == {"2025-12-02T00:44:04.123Z"}  # truncated, not rounded to .124


def test_millis_keep_three_digits_on_a_whole_second() -> None:
    assert iso_millis(1764636244) == "2025-12-02T00:44:04.000Z"
