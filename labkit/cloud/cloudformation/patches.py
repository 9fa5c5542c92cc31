"""CloudFormation's moto patches, and the private moto names they use (`PATCHES`).

- moto's parser creates the resource types of resources.py (API Gateway's come from apigateway/);
- an `AWS::S3::Bucket`'s NotificationConfiguration, which moto drops, is put through S3's API, so
  that the Serverless Framework's and SAM's S3 events fire;
- a resource that fails to create or update raises errors.py's Korean explanation (logical id,
  type, property, fix) as CloudFormation's ValidationError;
- an `AWS::IAM::Role` keeps its inline `Policies` as JSON text, as IAM does (moto kept the dicts and
  GetRolePolicy answered with Python's repr of them), and an update applies its trust policy and
  inline policies (moto updated only the description, so a redeployed function kept its old
  permissions), and its `ManagedPolicyArns` are attached (moto ignored them: a function with
  `managedPolicies` or SAM's `Policies: [AmazonDynamoDBFullAccess]` had none of their permissions
  in a permission audit); AWS's own managed policies are loaded from moto's copy when first named;
- a stack whose creation failed is rolled back and forgotten (moto kept it half made, and the next
  deploy under that name hit the failure again in DescribeStacks): fix the template, deploy again.
"""

from __future__ import annotations

from typing import Any, Callable

from ..moto.registry import MotoName
from ..moto.resource_models import PARSER_PATCHES

__all__ = ["install", "PATCHES"]

# moto's private names `install` patches or reads (on moto's import of them; deploy.py reads NULL_MODELS).
PATCHES = (
    MotoName("moto.s3.models:FakeBucket", "create_from_cloudformation_json",
        "(resource_name, cloudformation_json, account_id, region_name, **kwargs)"),
    MotoName("moto.s3.models:FakeBucket", "update_from_cloudformation_json",
        "(original_resource, new_resource_name, cloudformation_json, account_id, region_name)"),
    MotoName("moto.iam.models:Role", "create_from_cloudformation_json",
        "(resource_name, cloudformation_json, account_id, region_name, **kwargs)"),
    MotoName("moto.iam.models:Role", "update_from_cloudformation_json",
        "(original_resource, new_resource_name, cloudformation_json, account_id, region_name)"),
    MotoName("moto.iam.models:Role", "policies", instance=True),
    MotoName("moto.iam.models:Role", "put_policy", "(self, policy_name, policy_json)"),
    MotoName("moto.iam.models:Role", "delete_policy", "(self, policy_name)"),
    MotoName("moto.iam.models:Role", "assume_role_policy_document", instance=True),
    MotoName("moto.iam.models:Role", "managed_policies", instance=True),
    MotoName("moto.iam.models:IAMBackend", "managed_policies", instance=True),
    MotoName("moto.iam.models:IAMBackend", "attach_role_policy", "(self, policy_arn, role_name)"),
    MotoName("moto.iam.models:IAMBackend", "detach_role_policy", "(self, policy_arn, role_name)"),
    MotoName("moto.iam.models:IAMBackend", "delete_role", "(self, role_name)"),
    MotoName("moto.iam.models:AWSManagedPolicy", "from_data", "(name, account_id, region_name, data)"),
    MotoName("moto.iam.aws_managed_policies", "aws_managed_policies_data"),
    *PARSER_PATCHES,
    MotoName("moto.cloudformation.parsing", "NULL_MODELS"),
    MotoName("moto.cloudformation.parsing", "parse_and_create_resource",
        "(logical_id, resource_json, resources_map, account_id, region_name)"),
    MotoName("moto.cloudformation.parsing", "parse_and_update_resource",
        "(logical_id, resource_json, resources_map, account_id, region_name)"),
    MotoName("moto.cloudformation.parsing:ResourceMap", "_resource_json_map", instance=True),
    MotoName("moto.cloudformation.parsing:ResourceMap", "_parsed_resources", instance=True),
    MotoName("moto.cloudformation.exceptions", "ValidationError", "(name_or_id=None, message=None)"),
    MotoName("moto.cloudformation.models:CloudFormationBackend", "create_stack",
        "(self, name, template, parameters, notification_arns=None, tags=None, role_arn=None, "
        "enable_termination_protection=False, timeout_in_mins=None, stack_policy_body=None)"),
    MotoName("moto.cloudformation.models:CloudFormationBackend", "stacks", instance=True),
    MotoName("moto.secretsmanager.utils", "random_password",
        "(password_length, exclude_characters, exclude_numbers, exclude_punctuation, exclude_uppercase, "
        "exclude_lowercase, include_space, require_each_included_type)"),
)


def install(set_: Callable[[Any, str, Any], None]) -> None:
    """Add resources.py's types to moto's parser and patch AWS::S3::Bucket (both on moto's first import)."""
    from ..moto.patching import when_imported
    from ..moto.resource_models import add_to_parser
    from .resources import MODELS

    add_to_parser(set_, MODELS)
    when_imported("moto.s3.models", lambda: _patch_bucket(set_))
    when_imported("moto.iam.models", lambda: _patch_role(set_))
    when_imported("moto.cloudformation.parsing", lambda: _patch_resource_errors(set_))
    when_imported("moto.cloudformation.models", lambda: _patch_failed_creation(set_))


def _patch_failed_creation(set_: Callable[[Any, str, Any], None]) -> None:
    """CreateStack that fails rolls back what it made (Retain resources stay, as on AWS) and drops
    the stack. AWS would keep it as ROLLBACK_COMPLETE until deleted; a learner fixing a template
    in a notebook deploys again under the same name instead."""
    from moto.cloudformation.models import CloudFormationBackend

    original = CloudFormationBackend.create_stack

    def create_stack(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        before = set(self.stacks)
        try:
            return original(self, name, *args, **kwargs)
        except Exception:
            for stack_id in set(self.stacks) - before:
                stack = self.stacks.pop(stack_id)
                try:
                    stack.resource_map.delete()
                except Exception:  # noqa: BLE001 - the creation's own error is the one to report
                    pass
            raise

    set_(CloudFormationBackend, "create_stack", create_stack)


def _patch_resource_errors(set_: Callable[[Any, str, Any], None]) -> None:
    """A resource that fails to create or update raises CloudFormation's ValidationError with
    errors.py's Korean explanation (its logical id, type, property and fix), once, from itself."""
    import moto.cloudformation.parsing as parsing
    from moto.cloudformation.exceptions import ValidationError

    from .errors import explain

    def explained(original: Callable[..., Any]) -> Callable[..., Any]:
        def create(logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str, region_name: str) -> Any:
            try:
                return original(logical_id, resource_json, resources_map, account_id, region_name)
            except Exception as exc:
                if getattr(exc, "labkit_explained", False):
                    raise  # a resource this one refers to failed, and said so
                templates = getattr(resources_map, "_resource_json_map", None) or {}
                known = {*templates, *getattr(resources_map, "_parsed_resources", {})}
                types = {k: str(v.get("Type", "")) for k, v in templates.items() if isinstance(v, dict)}
                error = ValidationError(message=explain(logical_id, resource_json, exc, known, types))
                error.labkit_explained = True  # type: ignore[attr-defined]
                raise error from exc

        return create

    set_(parsing, "parse_and_create_resource", explained(parsing.parse_and_create_resource))
    set_(parsing, "parse_and_update_resource", explained(parsing.parse_and_update_resource))


def _patch_bucket(set_: Callable[[Any, str, Any], None]) -> None:
    # moto creates an AWS::S3::Bucket without its NotificationConfiguration, so the Serverless
    # Framework's and SAM's S3 events would never fire. Put it as S3's API does (through the
    # runtime's checks: overlapping rules are refused).
    from moto.s3.models import FakeBucket, s3_backends

    from .resources import bucket_notifications

    original_create = FakeBucket.create_from_cloudformation_json.__func__
    original_update = FakeBucket.update_from_cloudformation_json.__func__

    def apply(bucket: Any, cloudformation_json: Any, account_id: str) -> None:
        config = bucket_notifications(cloudformation_json.get("Properties") or {})
        if config or bucket.notification_configuration is not None:
            s3_backends[account_id]["aws"].put_bucket_notification_configuration(bucket.name, config)

    def create(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any) -> Any:
        bucket = original_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        apply(bucket, cloudformation_json, account_id)
        return bucket

    def update(cls: Any, original_resource: Any, new_resource_name: str, cloudformation_json: Any,
               account_id: str, region_name: str) -> Any:
        bucket = original_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
        apply(bucket, cloudformation_json, account_id)
        return bucket

    set_(FakeBucket, "create_from_cloudformation_json", classmethod(create))
    set_(FakeBucket, "update_from_cloudformation_json", classmethod(update))


_AWS_POLICIES: dict[str, Any] = {}


def aws_policies() -> dict[str, Any]:
    """AWS's managed policies by name, from moto's copy (parsed once: about 1,400 of them)."""
    if not _AWS_POLICIES:
        import json

        from moto.iam.aws_managed_policies import aws_managed_policies_data

        _AWS_POLICIES.update(json.loads(aws_managed_policies_data))
    return _AWS_POLICIES


def _patch_role(set_: Callable[[Any, str, Any], None]) -> None:
    # moto's update of an AWS::IAM::Role changes only its description: a stack deployed again with a
    # new statement (the Serverless Framework's iam.role.statements) kept the old inline policies.
    import json

    from moto.iam.models import Role

    original_create = Role.create_from_cloudformation_json.__func__
    original_update = Role.update_from_cloudformation_json.__func__

    def as_text(document: Any) -> str:
        return document if isinstance(document, str) else json.dumps(document)

    def attach_managed(role: Any, properties: dict[str, Any], account_id: str, region_name: str) -> None:
        from moto.iam.models import AWSManagedPolicy, iam_backends
        from moto.utilities.utils import get_partition

        backend = iam_backends[account_id][get_partition(region_name)]
        wanted = list(dict.fromkeys(properties.get("ManagedPolicyArns") or []))
        for arn in wanted:
            if arn not in backend.managed_policies and ":iam::aws:policy/" in arn:
                data = aws_policies().get(arn.rsplit("/", 1)[-1])
                if data is not None:
                    policy = AWSManagedPolicy.from_data(arn.rsplit("/", 1)[-1], account_id, region_name, data)
                    backend.managed_policies[policy.arn] = policy
        for arn in set(role.managed_policies) - set(wanted):
            backend.detach_role_policy(arn, role.name)
        for arn in wanted:
            if arn not in role.managed_policies:
                backend.attach_role_policy(arn, role.name)  # NoSuchEntity for a policy IAM does not have, as AWS

    def create(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any) -> Any:
        role = original_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        for name, document in list(role.policies.items()):
            role.put_policy(name, as_text(document))
        try:
            attach_managed(role, cloudformation_json.get("Properties") or {}, account_id, region_name)
        except Exception:  # the rollback does not know this half-made role: remove it, as CloudFormation would
            from moto.iam.models import iam_backends
            from moto.utilities.utils import get_partition

            backend = iam_backends[account_id][get_partition(region_name)]
            for arn in list(role.managed_policies):
                backend.detach_role_policy(arn, role.name)
            for name in list(role.policies):
                role.delete_policy(name)
            backend.delete_role(role.name)
            raise
        return role

    def update(cls: Any, original_resource: Any, new_resource_name: str, cloudformation_json: Any,
               account_id: str, region_name: str) -> Any:
        role = original_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
        role = role or original_resource
        properties = cloudformation_json.get("Properties") or {}
        trust = properties.get("AssumeRolePolicyDocument")
        if trust is not None:
            role.assume_role_policy_document = as_text(trust)
        wanted = {p["PolicyName"]: as_text(p["PolicyDocument"]) for p in properties.get("Policies") or []}
        for name in set(role.policies) - set(wanted):
            role.delete_policy(name)
        for name, document in wanted.items():
            role.put_policy(name, document)
        attach_managed(role, properties, account_id, region_name)
        return role

    set_(Role, "create_from_cloudformation_json", classmethod(create))
    set_(Role, "update_from_cloudformation_json", classmethod(update))
