"""How labkit.cloud patches moto's private code, reversibly: the mechanism, not the patches.

- `patching.py`: the ledger every patch goes through (`set_`, undone by `uninstall`), the
  post-import hook for moto modules that are slow to import (`when_imported`), and `install`,
  a loop over the installers the `LocalCloud` facade passes in.
- `registry.py`: the registry of every private moto name used, built from the `PATCHES` that
  each service declares beside its own `install` (so a patch cannot be missing from it), and
  `check()`, which compares the installed moto with it: the version pin, every name, and the
  call signature stored for every callable.
- `resource_models.py`: the base of the CloudFormation resource types labkit adds to moto and
  `add_to_parser`, the one patch that adds a service's types to moto's CloudFormation parser.

The patches themselves live beside their service: `awslambda/patches.py` (running handlers,
Invoke's response, dead-letter config, the logs clock), `eventsources/mapping_rules.py` (mapping
validation), `eventsources/sqs.py`, `eventsources/sqs_queues.py`, `eventsources/streams.py`, `dynamodb.py`
(atomic requests), `s3.py`,
`sns.py`, `events/rules.py`, `events/schedules.py`, `apigateway/patches.py`, `stepfunctions.py`,
`cloudformation/patches.py`, `autoscaling.py`, and `endpoint.py` (names it reads).

This package is named for what it patches; every import of moto itself in labkit is absolute
(`import moto.sqs.models`), which never resolves to `labkit.cloud.moto`.
"""
