"""deploy/kubernetes/values.yaml is what the z2jh chart 4.4.0 accepts, checked as Helm checks it.

Helm merges the chart's defaults (`chart-values.yaml`) under the user's values and validates the
result against the chart's `values.schema.json`; both are copies kept in the repository
(z2jh/VERSION.json says from which tag and commit), so nothing here needs the internet.
"""
from __future__ import annotations

import copy
import json
import os
import re
import subprocess

import jsonschema
import pytest
import yaml
from traitlets.config import Config

from grader.config import COURSE_ID, ROOT
from grader.exchange import SHARED_EXCHANGE

DEPLOY = ROOT / "deploy" / "kubernetes"
Z2JH = DEPLOY / "z2jh"


def load(name: str):
    return yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))


def coalesce(defaults, values):
    """Helm's merge of user values over chart defaults: maps merge, a null removes, the rest replaces."""
    if not isinstance(defaults, dict) or not isinstance(values, dict):
        return copy.deepcopy(values)
    out = copy.deepcopy(defaults)
    for key, value in values.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = coalesce(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@pytest.fixture(scope="module")
def validator():
    schema = json.loads((Z2JH / "values.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.fixture(scope="module")
def defaults():
    return yaml.safe_load((Z2JH / "chart-values.yaml").read_text(encoding="utf-8"))


def errors(validator, defaults, values) -> list[str]:
    return sorted(f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in validator.iter_errors(coalesce(defaults, values)))


def test_the_schema_copy_is_the_recorded_chart_release():
    version = json.loads((Z2JH / "VERSION.json").read_text(encoding="utf-8"))
    assert version["chart"] == "jupyterhub" and re.fullmatch(r"\d+\.\d+\.\d+", version["version"])
    assert re.fullmatch(r"[0-9a-f]{40}", version["commit"])
    assert f"--version {version['version']}" in (DEPLOY / "values.yaml").read_text(encoding="utf-8")
    assert f"--version {version['version']}" in (ROOT / "docs/instructor/kubernetes.md").read_text(encoding="utf-8")
    schema = json.loads((Z2JH / "values.schema.json").read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["additionalProperties"] is False and "singleuser" in schema["required"]


def test_the_course_values_validate_against_the_chart_schema(validator, defaults):
    assert errors(validator, defaults, {}) == []  # the chart's own defaults: the copies belong together
    assert errors(validator, defaults, load("values.yaml")) == []


@pytest.mark.parametrize("path, value, says", [
    (("singleuser", "memmory"), {"limit": "2G"}, "Additional properties are not allowed ('memmory' was unexpected)"),
    (("singleuser", "cpu", "limit"), "one core", "is not of type 'number', 'null'"),
    (("singleuser", "memory", "limit"), ["2G"], "is not of type 'number', 'string', 'null'"),
    (("cull", "timeout"), "1h", "is not of type 'integer'"),
    (("singleuser", "storage", "dynamic", "storageClas"), "nfs", "'storageClas' was unexpected"),
    (("hub", "config", "authenticator"), {"admin_users": ["instructor"]}, "does not match any of the regexes"),
])
def test_a_broken_value_fails_the_schema(validator, defaults, path, value, says):
    values = load("values.yaml")
    node = values
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    found = errors(validator, defaults, values)
    assert any(says in e and e.startswith(".".join(path[:-1])) for e in found), found


def test_the_values_agree_with_the_image_and_the_exchange_volume():
    values = load("values.yaml")
    single = values["singleuser"]
    # The exchange: one volume, mounted where nbgrader and the course's grader look for it.
    pvc = load("exchange-pvc.yaml")
    assert pvc["kind"] == "PersistentVolumeClaim" and pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    volume = single["storage"]["extraVolumes"][0]
    assert volume["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]
    mount = next(m for m in single["storage"]["extraVolumeMounts"] if m["name"] == volume["name"])
    assert mount["mountPath"] == str(SHARED_EXCHANGE) == single["extraEnv"]["COURSE_EXCHANGE"]
    config = {}

    c = Config()  # as the hub and nbgrader load these files: sections appear on first use
    exec((DEPLOY / "jupyter/nbgrader_config.py").read_text(encoding="utf-8"), {"get_config": lambda: c}, config)
    assert c["CourseDirectory"]["course_id"] == COURSE_ID and c["Exchange"]["root"] == mount["mountPath"]
    # The server command is the image's start script; the limits are real numbers and sizes.
    assert single["cmd"].startswith("/opt/course/") and (DEPLOY / "start-singleuser.sh").exists()
    assert single["cmd"].removeprefix("/opt/course/") == "deploy/kubernetes/start-singleuser.sh"
    assert 0 < single["cpu"]["guarantee"] <= single["cpu"]["limit"]
    assert values["cull"]["enabled"] and values["cull"]["timeout"] > 0
    slugs = [p["slug"] for p in single["profileList"]]
    assert slugs == ["learner", "instructor"] and "instructor" in values["hub"]["extraConfig"]["20-instructor-profile"]
    for name, code in values["hub"]["extraConfig"].items():
        compile(code, name, "exec")  # the hub runs these as Python


def test_every_pod_learns_the_rooms_accounts_so_nbgrader_can_name_a_submitter(tmp_path):
    """A learner's uid (20000 + hub id) is not in the image's passwd: nbgrader's submit raised
    `KeyError: getpwuid(): uid not found`, and collect could name no owner. The hub's hook tells
    every pod the accounts from the hub's database; room-accounts.sh writes them into passwd."""
    from types import SimpleNamespace

    from jupyterhub import orm

    db = orm.new_session_factory("sqlite://")()
    for name in ("instructor", "2024001", "2024002"):
        db.add(orm.User(name=name))
    db.commit()

    c = Config()  # as the hub and nbgrader load these files: sections appear on first use
    exec(load("values.yaml")["hub"]["extraConfig"]["10-learner-uid"], {"c": c})
    learner = db.query(orm.User).filter_by(name="2024002").one()
    spawner = SimpleNamespace(user=SimpleNamespace(id=learner.id, db=db), environment={})
    c.KubeSpawner.pre_spawn_hook(spawner)
    accounts = spawner.environment["COURSE_ACCOUNTS"]
    assert c.KubeSpawner.uid(spawner) == 20000 + learner.id and f"2024002:{20000 + learner.id}" in accounts.split()

    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/sh\njovyan:x:1000:100::/home/jovyan:/bin/bash\n", encoding="utf-8")
    env = {**os.environ, "COURSE_PASSWD": str(passwd), "COURSE_ACCOUNTS": accounts + " bad;name:20999"}
    for _ in range(2):  # a restarted server adds nothing twice
        done = subprocess.run([str(DEPLOY / "room-accounts.sh")], env=env, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
    lines = passwd.read_text(encoding="utf-8").splitlines()
    assert lines[2:] == [f"{u.name}:x:{20000 + u.id}:100:{u.name}:/home/jovyan:/bin/bash" for u in db.query(orm.User).order_by(orm.User.id)]
    assert "bad;name" in done.stderr and "건너뜁니다" in done.stderr
