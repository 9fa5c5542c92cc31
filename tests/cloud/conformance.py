"""Conformance checks: an emitted event against AWS's published sample for its source.

The samples in tests/cloud/events/ are AWS's published example events (see README.md there).
`missing_fields` lists every field of the sample that the emitted event lacks, so a test can
assert the runtime emits at least what AWS documents; values are not compared, because they
differ by nature (ids, times, ARNs), except where a test asserts them itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).parent / "events"


def sample(name: str) -> Any:
    """A published sample event from tests/cloud/events/<name>.json."""
    return json.loads((EVENTS / f"{name}.json").read_text())


def missing_fields(actual: Any, expected: Any, *, opaque: frozenset[str] = frozenset(), path: str = "$") -> list[str]:
    """Paths of fields present in `expected` but not in `actual`.

    Keys named in `opaque` hold user data (item attributes, headers, detail): their presence is
    checked, their contents are not. Lists are compared element by element, as far as both go.
    """
    problems: list[str] = []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path} (expected an object, got {type(actual).__name__})"]
        for key, value in expected.items():
            where = f"{path}.{key}"
            if key not in actual:
                problems.append(where)
            elif key not in opaque:
                problems.extend(missing_fields(actual[key], value, opaque=opaque, path=where))
    elif isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path} (expected a list, got {type(actual).__name__})"]
        for index, (got, want) in enumerate(zip(actual, expected)):
            problems.extend(missing_fields(got, want, opaque=opaque, path=f"{path}[{index}]"))
    return problems
