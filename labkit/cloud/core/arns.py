"""ARNs, parsed by botocore's `ArnParser` instead of split by hand at every use.

    arn:partition:service:region:account:resource

The resource part keeps its own separators (`function:name:alias`, `table/T/stream/label`,
`execution:machine:run`), so only the first five colons split an ARN.
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urlsplit

from botocore.utils import ArnParser, InvalidArnException

_PARSER = ArnParser()
# A cloud sees the same few ARNs on every invoke and poll: parse each once (warm-path budget).
_cached = lru_cache(maxsize=4096)


class Arn(NamedTuple):
    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


@_cached
def parse(arn: str) -> Arn:
    """The five fields of `arn`; `InvalidArnException` (a ValueError) if it is not an ARN."""
    if not arn.startswith("arn:"):
        raise InvalidArnException(f"Provided ARN: {arn} must start with arn:")
    return Arn(**_PARSER.parse_arn(arn))


def build(service: str, region: str, account: str, resource: str, partition: str = "aws") -> str:
    """The ARN of `resource` (everything after the account, e.g. `function:name`)."""
    return str(Arn(partition, service, region, account, resource))


@_cached
def service(value: str) -> str:
    """The service of an ARN (`sqs`, `dynamodb`, ...), or "" for a value that is not an ARN."""
    try:
        return parse(value).service
    except InvalidArnException:
        return ""


@_cached
def function_name(value: str) -> str:
    """The function's name from a function, version or alias ARN, or from `name[:qualifier]`."""
    if value.startswith("arn:"):
        value = parse(value).resource.removeprefix("function:")
    return value.split(":", 1)[0]


@_cached
def unqualified_function_arn(arn: str) -> str:
    """A function, version or alias ARN without its qualifier (`...:function:name`)."""
    fields = parse(arn)
    name = fields.resource.removeprefix("function:").split(":", 1)[0]
    return str(fields._replace(resource=f"function:{name}"))


def queue_name(arn: str) -> str:
    """The queue's name (with `.fifo` for a FIFO queue) from its ARN."""
    return parse(arn).resource


def queue_url(arn: str) -> str:
    """The queue URL SQS gives the queue `arn` names (`https://sqs.<region>.amazonaws.com/<account>/<name>`)."""
    fields = parse(arn)
    return f"https://sqs.{fields.region}.amazonaws.com/{fields.account}/{fields.resource}"


def queue_arn(url: str) -> str:
    """The ARN of the queue at a queue URL, from the URL's region, account and name."""
    parts = urlsplit(url)
    account, _, name = parts.path.strip("/").partition("/")
    host = parts.hostname or ""
    region = host.split(".")[1] if host.startswith("sqs.") else ""
    if not (account and name and region):
        raise ValueError(f"SQS queue URL이 아닙니다: {url!r} (https://sqs.<리전>.amazonaws.com/<계정>/<이름> 형식이어야 합니다)")
    return build("sqs", region, account, name)


def table_name(stream_arn: str) -> str:
    """The DynamoDB table whose stream `stream_arn` is (`table/<name>/stream/<label>`)."""
    return parse(stream_arn).resource.split("/")[1]
