"""Run a student's kernel in a sandbox: no network, a private filesystem view, bounded resources.

Three layers, each importing only those before it:

- `policy`: the backends (bwrap, unshare, none), `Sandbox` (limits, environment, the wrapping
  command) and the filesystem helpers the other two share;
- `warm`: the warm-kernel server of a batch worker (`ForkServer`), which forks each kernel from
  `zygote.py`, a standard-library script run inside the worker's bubblewrap sandbox;
- `kernel`: jupyter_client glue (`SandboxedKernelManager`, `QuickReadyClient`) that starts a
  kernel cold under the policy or warm from the server.
"""
