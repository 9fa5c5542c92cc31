"""The warm-kernel server that runs inside a worker's bubblewrap sandbox (standard library only).

A fresh kernel spends most of its start importing ipykernel, IPython, boto3 and moto. This
process imports them once per worker and forks a kernel per submission. Each fork gets a
sandbox of its own inside the worker's, before any student code runs:

- new mount, PID and IPC namespaces with a /proc of its own: its processes see only
  themselves and all die when the kernel does (the PID namespace's init is a small reaper);
- a fresh private `/tmp` and `/dev/shm`, with only this submission's working and socket
  folders bound back in, so nothing of an earlier submission is visible;
- the submission's uid (grading as root) with every capability gone, no_new_privs, and the
  submission's rlimits;
- this server is non-dumpable and outside the fork's PID namespace, so a submission cannot
  signal, trace or read it, nor leave anything in it for the next submission.

The server keeps CAP_SYS_ADMIN and CAP_SETPCAP (and, grading as root, CAP_SETUID/CAP_SETGID)
inside the worker's sandbox to build those namespaces, as bubblewrap itself does. It never
runs student code and reads nothing but the worker's requests, which arrive as JSON over a
SOCK_SEQPACKET socket (`grader.sandbox.warm`), file descriptors passed with SCM_RIGHTS. It is
started as `python -c <this file's text> <socket fd>`: the course's files are not in the sandbox.

Processes per submission: C (forked here; isolates, then waits) -> P1 (init of the new PID
namespace, the reaper) -> P2 (the kernel).
"""
import ctypes
import json
import os
import signal
import socket
import sys
import threading

# Modules a kernel or a lab would import anyway, and whose import changes nothing else: the
# kernel itself (with its debugger, which ipykernel loads at start), boto3 and moto with the
# backends its mock loads on first use, and labkit's checks. Not labkit.cloud: its set-up is
# the lab's to do, in the kernel.
PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", "IPython", "sqlite3", "pdb",
           "boto3", "boto3.s3.inject", "botocore.session", "requests", "cryptography.x509",
           "moto", "moto.s3.models", "moto.s3.responses", "moto.iam.models", "moto.sts.models",
           "moto.events.models", "moto.cloudwatch.models", "labkit.checks")
CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWIPC = 0x00020000, 0x20000000, 0x08000000
MS_BIND, MS_REC, MS_PRIVATE, MS_NOSUID, MS_NODEV, MS_NOEXEC = 4096, 16384, 1 << 18, 2, 4, 8
MS_RDONLY, MS_REMOUNT = 1, 32
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 4, 24, 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4

libc = ctypes.CDLL(None, use_errno=True)
PRELOAD_ENV = {}  # environment variables the preloaded imports set


def _check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source, target, fstype, flags, data=None):
    _check(libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(),
                      ctypes.c_ulong(flags), data and data.encode()), f"mount {target}")


def _become_kernel_user(uid):
    """Drop to the submission's uid (grading as root) and give up every capability for good."""
    for cap in range(64):  # the bounding set too, as bubblewrap leaves a cold kernel
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:  # EINVAL: past the last
            break
    if uid is not None and os.getuid() == 0:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # from uid 0 to another: the kernel clears every capability
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()                  # effective, permitted, inheritable: all empty
    _check(libc.capset(header, data), "capset")
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def _isolate(req):
    """In the forked child C: new namespaces, fresh /tmp and /dev/shm, this submission's folders."""
    _check(libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    # Read-only folders under /tmp (a course checked out there) first, then the writable ones:
    # both would otherwise vanish under the fresh /tmp.
    ro = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY), True) for path in req.get("ro_binds", [])]
    rw = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY), False) for path in req["binds"]]
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={req['tmp_bytes']},mode=1777")
    _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    for path, fd, readonly in ro + rw:
        os.makedirs(path, mode=0o755, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        if readonly:
            _mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)


def _kernel(req, stderr_fd, ready_w):
    """P2, the kernel: already unprivileged and limited by its reaper; then ipykernel."""
    libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # an ordinary process, as a cold kernel is
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.dup2(stderr_fd, 2)
    os.chdir(req["cwd"])
    os.environ.clear()
    os.environ.update(req["env"])
    os.environ.update(PRELOAD_ENV)  # what the preloaded imports set, as they would in a cold kernel
    os.environ["PWD"] = req["cwd"]
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # as the Python interpreter sets it at start
    # What `python -m ipykernel_launcher` would have: its path as argv[0], the cwd dropped from
    # sys.path while loading (IPython's init_path puts it back).
    import ipykernel_launcher

    sys.argv = [ipykernel_launcher.__file__, *req["argv"]]
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    os.write(ready_w, b"ok")
    os.closerange(3, 65536)
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


def _reaper(req, stderr_fd, status_w, ready_w):
    """P1, init of the new PID namespace: its own /proc, limits, then run and reap the kernel."""
    # Without a /proc of its own the kernel would see the server's processes (and its PIDs
    # would not match /proc): refuse rather than run like that.
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    import resource

    for name, value in req["rlimits"].items():
        resource.setrlimit(getattr(resource, name), (value, value))
    _become_kernel_user(req["uid"])
    # After the uid change, which clears it: when C is killed, this init dies and with it
    # every process of the submission.
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if not _parent_alive(req["parent"]):  # C died before that: do not outlive it
        os._exit(1)
    kernel = os.fork()
    if kernel == 0:
        code = 1
        try:
            os.close(status_w)
            _kernel(req, stderr_fd, ready_w)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        except BaseException as exc:
            try:
                os.write(ready_w, f"{type(exc).__name__}: {exc}".encode()[:500])
            except OSError:
                pass
            import traceback

            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(stderr_fd)
    os.close(ready_w)
    while True:
        try:
            pid, status, usage = os.wait4(-1, 0)
        except ChildProcessError:
            os._exit(1)
        if pid == kernel:  # exit code and the kernel's CPU seconds (with what it waited for)
            os.write(status_w, f"{os.waitstatus_to_exitcode(status)} {usage.ru_utime + usage.ru_stime:.3f}".encode())
            os._exit(0)


def _parent_alive(pipe_fd):
    """C keeps the write end of a pipe open while it lives: end of file means it is gone."""
    import select

    return not select.select([pipe_fd], [], [], 0)[0]


def _spawn(sock, req, fds):
    """Fork C; C isolates itself, forks the reaper P1 and waits for it. Returns C's pid."""
    stderr_fd, status_w = fds
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            sock.close()
            os.close(ready_r)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _isolate(req)
            alive_r, alive_w = os.pipe()  # C holds alive_w until it dies
            req["parent"] = alive_r
            reaper = os.fork()
            if reaper == 0:
                try:
                    os.close(alive_w)
                    _reaper(req, stderr_fd, status_w, ready_w)
                except BaseException as exc:
                    os.write(ready_w, f"{type(exc).__name__}: {exc}".encode()[:500])
                os._exit(1)
            os.close(ready_w)
            os.close(stderr_fd)
            os.close(alive_r)
            os.waitpid(reaper, 0)  # returns once everything in the namespace is gone
            os._exit(0)
        except BaseException as exc:
            try:
                os.write(ready_w, f"{type(exc).__name__}: {exc}".encode()[:500])
            finally:
                os._exit(1)
    os.close(ready_w)
    for fd in fds:
        os.close(fd)
    answer = b""
    while chunk := os.read(ready_r, 512):
        answer += chunk
        if answer == b"ok":
            break
    os.close(ready_r)
    if answer != b"ok":
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        raise RuntimeError(answer.decode("utf-8", "replace") or "the kernel's sandbox did not start")
    return pid


def main():
    sock = socket.socket(fileno=int(sys.argv[1]))
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # nothing in a sandbox may trace or read this process
    failed = []
    before = dict(os.environ)
    for name in PRELOAD:
        try:
            __import__(name)
        except Exception as exc:  # a lab without moto still gets the rest
            failed.append(f"{name}: {type(exc).__name__}")
    if threading.active_count() != 1:
        sock.send(json.dumps({"ok": False, "error": "a preloaded module started a thread; fork is unsafe"}).encode())
        return
    PRELOAD_ENV.update({k: v for k, v in os.environ.items() if before.get(k) != v})
    import gc

    gc.freeze()  # the preloaded objects stay out of every fork's collections: fewer copied pages
    sys.stdout.flush()
    sys.stderr.flush()
    sock.send(json.dumps({"ok": True, "preload_failed": failed}).encode())
    children = set()
    while True:
        while True:  # reap what ended: each C, and reapers orphaned by a killed C
            try:
                done, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if not done:
                break
            children.discard(done)
        try:
            msg, fds, _, _ = socket.recv_fds(sock, 1 << 20, 4)
        except OSError:
            return
        if not msg:
            return
        req = json.loads(msg)
        try:
            if req["op"] == "spawn":
                pid = _spawn(sock, req, fds)
                children.add(pid)
                reply = {"ok": True, "pid": pid}
            elif req["op"] == "kill":
                if req["pid"] in children:
                    try:
                        os.kill(req["pid"], signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    children.discard(req["pid"])
                reply = {"ok": True}
            else:
                reply = {"ok": False, "error": f"unknown op {req['op']}"}
        except Exception as exc:
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        sock.send(json.dumps(reply).encode())


if __name__ == "__main__":
    main()
