"""The JupyterHub configuration of a room, checked against the installed JupyterHub (no hub started)."""
from __future__ import annotations

import asyncio
import importlib
import os

import pytest
from traitlets.config import Config

from grader.config import ROOT
from workshop.hub.jupyterhub_config import TEMPLATES, configure
from workshop.hub.room import Room

LEARNER_PW = "room-password-1"
ADMIN_PW = "an-instructor-password-of-32-chars-or-more"


@pytest.fixture
def room(tmp_path, monkeypatch):
    monkeypatch.setenv("HUB_PASSWORD", LEARNER_PW)
    monkeypatch.setenv("HUB_ADMIN_PASSWORD", ADMIN_PW)
    r = Room(port=8123, course=str(ROOT), folder=str(tmp_path / "hub"), exchange=str(tmp_path / "exchange"),
             learners=[{"id": "2024001", "name": "김민준"}, {"id": "lee", "name": "이서연"}],
             idle_minutes=30, course_python=str(ROOT / ".venv" / "bin" / "python"), proxy_api_port=8124, hub_api_port=8125)
    r.state.mkdir(parents=True)
    return r


@pytest.fixture
def config(room) -> Config:
    c = Config()
    configure(c, room)
    return c


def unknown_options(config: Config) -> list[str]:
    """Sections and options of `config` that the installed JupyterHub does not have."""
    from jupyterhub.app import JupyterHub
    from jupyterhub.auth import Authenticator
    from jupyterhub.authenticators.shared import SharedPasswordAuthenticator
    from jupyterhub.proxy import ConfigurableHTTPProxy
    from jupyterhub.spawner import LocalProcessSpawner, Spawner

    from workshop.hub.spawner import RoomSpawner

    classes = {cls.__name__: cls for cls in (JupyterHub, Authenticator, SharedPasswordAuthenticator,
                                             ConfigurableHTTPProxy, Spawner, LocalProcessSpawner, RoomSpawner)}
    unknown = []
    for section, values in config.items():
        known = classes[section].class_traits(config=True) if section in classes else {}
        unknown += [f"{section}.{name}" for name in values if name not in known]
    return unknown


def test_every_setting_is_a_real_option_of_the_installed_jupyterhub(config):
    """A misspelt option is ignored by JupyterHub with only a log line: each name must exist."""
    assert unknown_options(config) == []
    misspelt = Config()
    misspelt.Spawner.mem_limt = "1G"
    misspelt.SharedPasswordAuthenticator.password = "x"
    misspelt.SharedPassword.user_password = "x"
    assert unknown_options(misspelt) == ["Spawner.mem_limt", "SharedPasswordAuthenticator.password",
                                         "SharedPassword.user_password"]


def test_learners_share_a_password_and_only_the_instructor_is_admin(config):
    from jupyterhub.authenticators.shared import SharedPasswordAuthenticator

    assert config.JupyterHub.authenticator_class == "jupyterhub.authenticators.shared.SharedPasswordAuthenticator"
    auth = SharedPasswordAuthenticator(config=config)

    def login(name: str, password: str):
        return asyncio.run(auth.authenticate(None, {"username": name, "password": password}))

    assert login("lee", LEARNER_PW) == {"name": "lee", "admin": False, "groups": []}
    assert login("lee", "wrong-password") is None
    assert login("instructor", ADMIN_PW)["admin"] is True
    assert login("instructor", LEARNER_PW) is None  # the learners' password never makes an admin
    assert login("lee", ADMIN_PW) is None
    assert auth.check_allowed("2024001", None) and not auth.check_allowed("stranger", None)


def test_loopback_only_the_courses_proxy_and_private_state(config, room):
    assert config.JupyterHub.bind_url == "http://127.0.0.1:8123"
    assert config.JupyterHub.hub_ip == "127.0.0.1" and config.Spawner.ip == "127.0.0.1"
    assert config.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:8124"
    (proxy,) = config.ConfigurableHTTPProxy.command
    assert proxy == str(ROOT / "node_modules" / ".bin" / "configurable-http-proxy") and os.access(proxy, os.X_OK)
    for path in (config.JupyterHub.db_url.removeprefix("sqlite:///"), config.JupyterHub.cookie_secret_file):
        assert path.startswith(str(room.state))
    token = room.state / "proxy_token"
    assert token.read_text().strip() == config.ConfigurableHTTPProxy.auth_token and oct(token.stat().st_mode)[-3:] == "600"


def test_idle_servers_are_culled_by_the_culler_service_with_only_its_scopes(config):
    (service,) = config.JupyterHub.services
    assert service["name"] == "idle-culler"
    python, flag, module, *options = service["command"]
    assert (flag, module) == ("-m", "jupyterhub_idle_culler") and importlib.util.find_spec(module)
    assert "--timeout=1800" in options
    (role,) = config.JupyterHub.load_roles
    assert role["services"] == ["idle-culler"]
    assert set(role["scopes"]) == {"list:users", "read:users:activity", "read:servers", "delete:servers"}


def test_limits_and_korean_pages_with_their_font(config, room):
    assert config.Spawner.mem_limit == room.mem_limit == 2 * 1024 ** 3 and config.Spawner.cpu_limit == 1.0
    assert config.JupyterHub.spawner_class == "workshop.hub.spawner.RoomSpawner"
    assert config.JupyterHub.template_paths == [str(TEMPLATES)]
    vars_ = config.JupyterHub.template_vars
    assert vars_["display_names"] == {"2024001": "김민준", "lee": "이서연"}
    # The embedded font covers every syllable of the pages and the names (this machine has no Korean font).
    assert vars_["course_font_css"].count("@font-face") >= 3 and "Pretendard" in vars_["course_font_css"]
    for page in ("login.html", "not_running.html", "spawn_pending.html", "page.html", "error.html"):
        assert (TEMPLATES / page).read_text(encoding="utf-8").startswith('{% extends "templates/')
