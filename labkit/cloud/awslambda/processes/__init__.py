"""Subprocess and snapshot isolation: execution environments that are real processes.

    channel.py      WorkerChannel: the parent's end of a worker's socket (frames, deadlines)
    environment.py  ProcessEnvironment: one worker process per instance, and how workers are spawned
    snapshot.py     SnapshotTemplate(s), SnapshotEnvironment: instances forked from a template

`subprocess`: every instance is its own Python process (`bootstrap/labkit_bootstrap.py`, started
with the venv interpreter by path and `-S`). Its cold start is real: Init Duration runs from
just before the process is spawned until the handler's module is loaded and the runtime says
ready, interpreter start-up and imports included. A warm invoke is one round trip over a Unix
socket. Max Memory Used is the process's own peak RSS. A timeout kills the process
(`Task timed out after N.NN seconds`, N.NN the configured timeout); the next invoke is a cold start.

`snapshot` (SnapStart-like): a template process runs INIT once, then the before-snapshot hooks
of `snapshot-restore-py`, and waits as a zygote. Each instance is `os.fork()`ed from it (the
"restore"): the child runs the after-restore hooks and serves invocations. The zygote keeps one
child forked ahead (a spare) whose socket it hands to this process, so a restore is one message
to the spare; a burst beyond it forks on demand. The REPORT line shows Restore Duration (from
the restore request until the instance is ready) and Billed Restore Duration
(the after-restore part, as AWS bills "loading the runtime and running the hooks"), never Init
Duration. The zygote is started by this module and forks with `os.fork` directly, not through
`multiprocessing`'s forkserver, which silently drops its preload for modules on a
runtime-added `sys.path` entry and so re-imports everything in each child.

Handler code in these processes reaches the same moto state as the notebook through
`labkit.cloud.endpoint.MotoEndpoint`, with fake credentials and that local endpoint only.

Where AWS differs (and the course says so):
- memory is limited and CPU scaled with it only where cgroups allow it (`awslambda/cgroups.py`);
  elsewhere memory is measured but not limited and CPU is the machine's;
- a restored instance is a fork of a live process, not a microVM snapshot: threads started
  during INIT do not survive it; sockets opened during INIT are replaced by unconnected ones, so
  clients reconnect (AWS also gives no guarantee for connections across a restore); the
  `random` module's state is restored as a snapshot would restore it (fork alone would re-seed);
- SnapStart applies here to every version, $LATEST included (AWS: published versions only);
- a failing after-restore hook is returned as a function error of type SnapStartException (AWS
  fails the Invoke API call itself with SnapStartException, HTTP 400);
- an INIT that outlives its 10 s is reported as `Runtime.Unknown`, not retried in the invoke.
"""
