"""The instructor's pre-flight check reports in Korean, passes here, and fails loudly when it should."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

import pytest

from workshop import preflight
from workshop.preflight import CheckFailed, network_blocked, run
from workshop.start import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# A lab of one notebook, a lab of two (every notebook is submitted) and a lab with a written answer
# (full marks are its autograded points). Every lab's solution is graded to full marks by its own
# grading test (tests/grading/test_labNN_grading.py); grading all of them again here cost ~110 s.
PREFLIGHT_LABS = ["lab00", "lab02", "lab07"]


def test_preflight_passes_on_a_set_up_machine():
    # Its own free ports: a `./course start` left running (or SITE_PORT/LAB_PORT exported for
    # one) must not fail the check on a machine that is set up.
    env = {**os.environ, "SITE_PORT": str(free_port()), "LAB_PORT": str(free_port())}
    proc = subprocess.run([sys.executable, "-m", "workshop.preflight", *PREFLIGHT_LABS], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "모두 통과" in proc.stdout
    assert proc.stdout.count("✔ 통과") == len(preflight.CHECKS)
    for lab in PREFLIGHT_LABS:
        assert re.search(rf"{lab} (\d+)/\1\b", proc.stdout), f"{lab}의 만점 채점이 보고되지 않았습니다"
    assert "lab07 14/14(손으로 채점할 3점 제외)" in proc.stdout
    assert "lab01" not in proc.stdout.split("실습 실행과 채점")[1]  # only the labs asked for


def test_an_unknown_lab_is_named_with_the_labs_there_are():
    with pytest.raises(CheckFailed, match=r"없는 실습입니다: lab99\. 있는 실습: lab00, lab01"):
        preflight.check_lab_grades(["lab00", "lab99"])


def test_failing_and_crashing_checks_are_reported_not_raised(capsys):
    def broken() -> str:
        raise CheckFailed("고치는 방법을 알려 주는 메시지")

    def crashing() -> str:
        raise ZeroDivisionError("division by zero")

    results = run([("좋은 점검", lambda: "잘 됩니다"), ("나쁜 점검", broken), ("깨진 점검", crashing)])
    assert [r.ok for r in results] == [True, False, False]
    out = capsys.readouterr().out
    assert "✘ 실패  나쁜 점검: 고치는 방법을 알려 주는 메시지" in out
    assert "예상하지 못한 오류: ZeroDivisionError" in out


def test_busy_port_fails_the_port_check(monkeypatch):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        monkeypatch.setenv("SITE_PORT", str(busy.getsockname()[1]))
        with pytest.raises(CheckFailed, match="이미 쓰이는 포트"):
            preflight.check_ports()


def test_network_guard_blocks_and_records_external_connections():
    with network_blocked() as attempts:
        with pytest.raises(OSError):
            socket.create_connection(("203.0.113.7", 443), timeout=1)
    assert attempts == ["203.0.113.7"]


def test_offline_cloud_check_refuses_a_real_aws_profile(monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "production")
    with pytest.raises(CheckFailed, match="AWS_PROFILE"):
        preflight.check_offline_cloud()
