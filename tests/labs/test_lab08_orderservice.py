"""labkit.orderservice with the real framework: lab08's given broken files get the explanations the lab
promises, the permission audit finds a missing action, and the template readers see what osls made.

The solution and the release run end to end in tests/grading/test_lab08_grading.py's one grading batch.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from grader.config import ROOT

SOLUTION = ROOT / "solutions" / "lab08" / "lab08.ipynb"
MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)


def written(grade_id: str) -> tuple[str, str]:
    """(path, text) of the solution's `%%writefile` cell `grade_id`, markers removed."""
    cell = next(c for c in nbformat.read(SOLUTION, as_version=4).cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    first, _, body = MARKER.sub("", cell.source).partition("\n")
    return first.split(maxsplit=1)[1], body + "\n"


def service(tmp: Path, *cells: str) -> Path:
    """Write the given cells' files under `tmp` and return the folder of the first one."""
    folder = None
    for grade_id in cells:
        path, text = written(grade_id)
        target = tmp / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        folder = folder or target.parent
    return folder


@pytest.fixture(scope="module")
def handlers(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("lab08")
    service(tmp, "handler_api", "handler_changes", "handler_fulfil", "handler_report")
    return tmp


def copy_handlers(handlers: Path, folder: Path) -> None:
    for name in ["api.py", "fulfil.py", "changes.py", "report.py"]:
        shutil.copy(handlers / "lab08_service" / name, folder / name)


def test_metadata_describes_the_lab():
    course = nbformat.read(SOLUTION, as_version=4).metadata["course"]
    assert course["lab"] == "lab08" and course["minutes"] == 100
    assert len(course["objectives"]) == 5 and course["keypoints"] and course["title"]


def test_an_sqs_arn_given_as_ref_is_explained_with_its_line(handlers, tmp_path):
    # osls 3.77.1 itself only says "TypeError: EventSourceArn.split is not a function".
    from labkit import orderservice as osv

    folder = service(tmp_path, "fix_arn_given")
    copy_handlers(handlers, folder)
    with pytest.raises(osv.FrameworkError) as raised:
        osv.package(folder)
    assert raised.value.line == 14
    assert "!GetAtt <논리 ID>.Arn" in str(raised.value) and "EventSourceArn.split" in str(raised.value)


def test_the_permission_audit_finds_the_missing_put_item_and_passes_the_fix(handlers, tmp_path):
    from labkit import orderservice as osv
    from labkit.cloud import local_cloud

    folder = service(tmp_path, "fix_iam_given")
    copy_handlers(handlers, folder)
    with local_cloud() as cloud:
        broken = osv.package(folder)
        stack = osv.deploy(cloud, broken)
        missing = osv.missing_permissions(cloud, stack)
        assert list(missing) == ["lab08-iam-dev-api"] and len(missing["lab08-iam-dev-api"]) == 1
        assert missing["lab08-iam-dev-api"][0].startswith("dynamodb:PutItem on lab08-iam-dev-OrdersTable")
        assert osv.remove(cloud, broken) == []
        fixed = service(tmp_path / "fixed", "fix_iam")
        copy_handlers(handlers, fixed)
        assert osv.missing_permissions(cloud, osv.deploy(cloud, osv.package(fixed))) == {}


def test_packaging_is_reused_until_a_file_changes(handlers, tmp_path):
    from labkit import orderservice as osv

    folder = service(tmp_path, "fix_variable")
    copy_handlers(handlers, folder)
    first = osv.package(folder)
    assert osv.package(folder) is first
    (folder / "api.py").write_text((folder / "api.py").read_text() + "\n# changed\n")
    assert osv.package(folder) is not first


def test_the_least_privilege_audit_finds_wildcards_and_actions_no_handler_calls(handlers, tmp_path):
    """Check 2-2's second half: IAM is not enforced offline, so `dynamodb:*` on `*` would pass every
    event; the solution's own statements, and what osls adds for its sqs and stream events, do not count."""
    from labkit import orderservice as osv
    from labkit.cloud import local_cloud

    folder = service(tmp_path, "service_yml")
    copy_handlers(handlers, folder)
    text = (folder / "serverless.yml").read_text(encoding="utf-8")
    with local_cloud() as cloud:
        solved = osv.deploy(cloud, osv.package(folder))
        assert osv.excess_permissions(cloud, solved) == [] and osv.missing_permissions(cloud, solved) == {}
        osv.remove(cloud, osv.package(folder))
        loose = text.replace("Action: [dynamodb:GetItem, dynamodb:PutItem, dynamodb:UpdateItem, dynamodb:Scan]\n"
                             "          Resource: !GetAtt OrdersTable.Arn",
                             "Action: ['dynamodb:*', 'sqs:*', dynamodb:DeleteItem]\n          Resource: '*'")
        assert loose != text
        (folder / "serverless.yml").write_text(loose, encoding="utf-8")
        stack = osv.deploy(cloud, osv.package(folder))
        assert osv.excess_permissions(cloud, stack) == ["dynamodb:*", "dynamodb:DeleteItem", "sqs:*"]
        assert osv.missing_permissions(cloud, stack) == {}  # everything is allowed: only the audit above sees it
        osv.remove(cloud, osv.package(folder))
        managed = text.replace("  iam:\n    role:\n",
                               "  iam:\n    role:\n      managedPolicies:\n"
                               "        - arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess\n")
        assert managed != text
        (folder / "serverless.yml").write_text(managed, encoding="utf-8")
        stack = osv.deploy(cloud, osv.package(folder))
        assert "dynamodb:*" in osv.excess_permissions(cloud, stack)  # an attached managed policy counts too
