"""What a kernel pays for `import labkit.cloud`: no moto, no boto3 until a cloud is used.

Counted in a fresh interpreter (sys.modules), not timed: `bench/runtime.py` gives the time.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
{statement}
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in ("moto", "boto3", "botocore"))))
"""


def _loaded_after(statement: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", PROBE.format(statement=statement)], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)


@pytest.mark.parametrize("statement", [
    "import labkit.cloud",
    "import labkit.cloud.core.clock",
    "import labkit.cloud.core.credentials",
    "import labkit.cloud.core.patterns, labkit.cloud.core.timefmt, labkit.cloud.core.retries",
    "from labkit.cloud import Clock, LambdaContext, CloudUsageError, DEFAULT_REGION",
])
def test_public_imports_load_no_moto_or_boto3(statement: str) -> None:
    assert _loaded_after(statement) == []


def test_the_probe_sees_moto_once_a_cloud_is_needed() -> None:
    loaded = _loaded_after("from labkit.cloud import LocalCloud")
    assert any(name.startswith("moto.") for name in loaded) and "boto3" in loaded


def test_every_public_name_still_resolves() -> None:
    import labkit.cloud as cloud

    for name in cloud.__all__:
        assert getattr(cloud, name) is not None, name
    assert set(cloud.__all__) <= set(dir(cloud))
    with pytest.raises(AttributeError):
        cloud.NoSuchThing  # noqa: B018
