"""The configuration JupyterHub loads (`jupyterhub -f workshop/hub/jupyterhub_config.py`).

Everything that varies comes from `$COURSE_HUB_ROOM` (state/room.json, written by
`python -m workshop.hub`), so this file is the same for every room and `configure` can be
tested without starting a hub.
"""
from __future__ import annotations

import os
from pathlib import Path

from grader.config import ROOT
from workshop.hub.room import HOST, Room, instructor_password, learner_password, secret_file

TEMPLATES = Path(__file__).resolve().parent / "templates"


def configure(c, room: Room) -> None:
    """Fill JupyterHub's config object `c` for `room`."""
    state = room.state
    c.JupyterHub.bind_url = f"http://{room.ip}:{room.port}"  # the proxy; the hub and the servers stay on loopback
    c.JupyterHub.hub_ip = HOST
    c.JupyterHub.hub_port = room.hub_api_port
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
    c.JupyterHub.shutdown_on_logout = False
    c.JupyterHub.cleanup_servers = True   # Ctrl+C stops every learner's server too
    c.JupyterHub.cleanup_proxy = True
    # The proxy from the course's node_modules (configurable-http-proxy 5.3.0, package-lock.json).
    c.ConfigurableHTTPProxy.command = [str(ROOT / "node_modules" / ".bin" / "configurable-http-proxy")]
    c.ConfigurableHTTPProxy.api_url = f"http://{HOST}:{room.proxy_api_port}"
    c.ConfigurableHTTPProxy.auth_token = secret_file(room, "proxy_token", lambda: __import__("secrets").token_hex(32))
    c.ConfigurableHTTPProxy.should_start = True

    # Learners share one password; the instructor (the only admin) has their own.
    c.JupyterHub.authenticator_class = "jupyterhub.authenticators.shared.SharedPasswordAuthenticator"
    c.SharedPasswordAuthenticator.user_password = learner_password(room)
    c.SharedPasswordAuthenticator.admin_password = instructor_password(room)
    c.Authenticator.admin_users = {room.instructor}
    c.Authenticator.allowed_users = {p["id"] for p in room.learners}
    c.Authenticator.allow_existing_users = False  # the roster is the list; a removed learner cannot log in

    c.JupyterHub.spawner_class = "workshop.hub.spawner.RoomSpawner"
    c.RoomSpawner.room_file = str(state / "room.json")
    c.Spawner.ip = HOST
    c.Spawner.default_url = "/lab"
    c.Spawner.start_timeout = 120  # 30 learners logging in at once on two cores
    c.Spawner.http_timeout = 120
    c.Spawner.poll_interval = 10  # notice a server that died (memory limit) within seconds, not half a minute
    # Stopping (Ctrl+C, culling): SIGINT, then SIGTERM, then SIGKILL, 5 s apart, not 10.
    c.LocalProcessSpawner.interrupt_timeout = 5
    c.LocalProcessSpawner.term_timeout = 5
    c.Spawner.mem_limit = room.mem_limit
    c.Spawner.cpu_limit = room.cpu_limit

    # Idle culling: a hub service with just the scopes it needs.
    c.JupyterHub.services = [{
        "name": "idle-culler",
        "command": [room.course_python, "-m", "jupyterhub_idle_culler",
                    f"--timeout={room.idle_minutes * 60}", f"--cull-every={max(60, min(600, room.idle_minutes * 15))}"],
    }]
    c.JupyterHub.load_roles = [{
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }]

    # Korean pages with the course's font (this machine may have no Korean font at all).
    from grader.feedback import font_css

    c.JupyterHub.template_paths = [str(TEMPLATES)]
    names = room.names()
    text = "".join(p.read_text(encoding="utf-8") for p in TEMPLATES.glob("*.html")) + "".join(names.values())
    c.JupyterHub.template_vars = {"course_font_css": font_css(text), "display_names": names,
                                  "instructor": room.instructor}


if "get_config" in globals():  # loaded by JupyterHub
    configure(get_config(), Room.load(Path(os.environ["COURSE_HUB_ROOM"])))  # noqa: F821
