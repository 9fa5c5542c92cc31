"""A graded kernel may start threads under its memory limit (RLIMIT_AS) without running out of address space.

glibc reserves a 64 MB malloc arena for each new thread that allocates (up to 8 per core): the
address-space limit counts the reservations as memory. lab02's bursts of concurrent requests
took the kernel to 1.6 GB of the default 2 GB while using ~0.5 GB, and a burst's thread then
failed to start (RuntimeError: can't start new thread). The sandbox caps the arenas.
"""
from __future__ import annotations

import os

import nbformat
from nbclient import NotebookClient

from grader.config import Limits
from grader.sandbox.kernel import SandboxedKernelManager
from grader.sandbox.policy import Sandbox, detect_backend

THREADS = """
import threading
barrier = threading.Barrier(24)
kept, failures = [], []


def work():
    try:
        kept.append(bytearray(256 * 1024))  # a small allocation: each thread gets a malloc arena
        barrier.wait(timeout=20)             # all alive at once, as in a burst
    except Exception as exc:
        failures.append(repr(exc))


threads = []
for _ in range(24):
    try:
        t = threading.Thread(target=work)
        t.start()
        threads.append(t)
    except RuntimeError as exc:
        failures.append(repr(exc))
        barrier.abort()
        break
for t in threads:
    t.join()
vm = [l.split()[1] for l in open("/proc/self/status") if l.startswith("VmPeak")][0]
print("STARTED", len(threads), "FAILURES", failures[:1], "VMPEAK_KB", vm)
"""


def test_a_burst_of_threads_fits_under_the_memory_limit(tmp_path):
    # 900 MB: the kernel itself takes ~0.4 GB of address space; 24 threads with their own arenas
    # would add ~1.7 GB of reservations (16 arenas on 2 cores, 8 MB stacks).
    box = Sandbox(detect_backend(), Limits(memory_mb=900, cell_timeout=30),
                  uid=2_000_098 if os.geteuid() == 0 else None)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(THREADS)])
    workdir = tmp_path / "run"
    workdir.mkdir()

    class Client(NotebookClient):
        def create_kernel_manager(self):
            self.km = SandboxedKernelManager(kernel_name="python3", config=self.config, sandbox=box)
            return self.km

    Client(nb, timeout=60, resources={"metadata": {"path": str(workdir)}}).execute()
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert "STARTED 24 FAILURES []" in text, text
