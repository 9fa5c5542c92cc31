"""`./course start`'s port errors read as one Korean sentence: one particle, never 을(를)."""
from __future__ import annotations

import re
import socket

import pytest

from workshop.start import HOST, StartError, port_from_env, require_free

PLACEHOLDER = re.compile(r"\((?:를|을|가|이|는|은|으)\)")


def test_a_busy_port_takes_the_particle_its_number_is_read_with():
    with socket.socket() as busy:
        busy.bind((HOST, 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(StartError) as err:
            require_free(port, "SITE_PORT")
    message = str(err.value)
    assert not PLACEHOLDER.search(message), message
    # 0, 1, 3, 6, 7, 8 are read with a final consonant (영, 일, 삼, 육, 칠, 팔): 을; 2, 4, 5, 9: 를.
    particle = "을" if str(port)[-1] in "013678" else "를"
    assert f"포트 {port}{particle} 이미 다른 프로그램이 쓰고 있습니다." in message


def test_an_invalid_port_setting_names_the_value_without_a_placeholder(monkeypatch):
    monkeypatch.setenv("LAB_PORT", "여덟")
    with pytest.raises(StartError) as err:
        port_from_env("LAB_PORT", 8888)
    message = str(err.value)
    assert not PLACEHOLDER.search(message), message
    assert message.startswith("LAB_PORT='여덟': 올바른 포트 번호가 아닙니다.")
