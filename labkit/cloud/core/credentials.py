"""The fake AWS environment every part of the offline cloud runs under.

The one definition for the notebook process, handler processes, the grading sandbox
(`grader/sandbox/policy.py`) and the `course` script (which reads it from this file), so
real credentials, profiles and the instance metadata service can never be reached from any of
them. Standard library only.
"""
from __future__ import annotations

import os

DEFAULT_REGION = "ap-northeast-2"
ACCOUNT_ID = "123456789012"  # moto's default account


def fake_aws_environment(region: str = DEFAULT_REGION) -> dict[str, str]:
    """Environment variables that pin boto3 to fake credentials and `region`."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        # botocore 1.44 sends dynamodbstreams calls to an account-based host moto does not route.
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }
