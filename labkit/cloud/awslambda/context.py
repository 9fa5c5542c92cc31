"""The Lambda context object passed to a handler as its second argument.

Defined once, in the worker process's stdlib-only bootstrap, so that every isolation mode hands
the handler the same object (attribute names and types of awslambdaric's: `memory_limit_in_mb`
is a string there, `identity` an object whose fields are None).
"""

from __future__ import annotations

from .bootstrap.labkit_bootstrap import CognitoIdentity, LambdaContext

__all__ = ["LambdaContext", "CognitoIdentity"]
