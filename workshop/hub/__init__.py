"""`./course hub 명단.csv`: a workshop room on one machine, with JupyterHub and the nbgrader exchange.

Learners need only a browser. The instructor's machine runs a real JupyterHub (pinned in
pyproject) behind configurable-http-proxy (node_modules, pinned in package-lock), one
single-user JupyterLab per learner with the course's environment, and nbgrader's exchange so
labs are released, submitted, collected, graded (`./course grade`) and returned in one place.

Modules, each named for what it does:
- `roster`     the roster CSV (the grader's format) checked for JupyterHub and system accounts
- `room`       the room's settings (port, limits, culling, folders) and its saved state
- `accounts`   one system account and private home per learner (root), labs and nbgrader config
- `python_env` the interpreter learners' servers run (the course's .venv, reachable by them)
- `limits`     per-learner memory and CPU limits with cgroups
- `spawner`    JupyterHub's LocalProcessSpawner with the above
- `jupyterhub_config` the configuration JupyterHub loads (`jupyterhub -f`)
- `__main__`   the command: checks, set-up, start, Korean summary, clean stop
"""

# jsonschema (under nbformat, jupyter_events) imports rfc3987-syntax when installed, only to check
# "iri" formats nobody here asks for, and building its grammar costs a second of every start (14 s
# on a loaded machine). As in grader/__main__.py, each process of the room goes without it: this
# command, JupyterHub and every learner's server (started through `launch`).
NO_RFC3987 = "import sys; sys.modules.setdefault('rfc3987_syntax', None)"


def launch(module_main: str) -> str:
    """`python -c` code that runs `package.module:main` without rfc3987-syntax (argv passes through)."""
    module, _, func = module_main.partition(":")
    return f"{NO_RFC3987}; from {module} import {func}; sys.exit({func}())"
