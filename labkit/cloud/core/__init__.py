"""The leaf layer of labkit.cloud: what every service needs and nothing that knows a service.

clock (Clock, Timers), arns (ARNs through botocore's ArnParser), credentials (the fake AWS
environment), errors, timefmt (ISO 8601 as AWS writes it), patterns (EventBridge pattern
matching), targets (the one "send to an ARN" dispatcher) and context (`CloudContext`, what a
service is handed instead of the whole `LocalCloud`). Nothing here imports a module of
labkit.cloud outside `core/` (tests/cloud/test_import_layers.py).
"""
