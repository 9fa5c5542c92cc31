"""The CloudFormation resource types moto lacks (or gets wrong) that this course's templates use.

- `AWS::SNS::Subscription` (with its attributes: RawMessageDelivery, FilterPolicy, ...);
- `AWS::SecretsManager::Secret`, SecretString or GenerateSecretString (moto's GetRandomPassword);
- `AWS::Lambda::EventInvokeConfig`, `AWS::Lambda::Alias`, and `AWS::Lambda::Version` (moto's Ref
  is the logical id, AWS's the version ARN);
- `AWS::Scheduler::Schedule`;
- the access policies `AWS::SQS::QueuePolicy`, `AWS::SNS::TopicPolicy`, `AWS::S3::BucketPolicy`
  (stored, not enforced: the offline cloud does not evaluate IAM, and moto would enforce a
  bucket's Deny statements without their conditions);
- an `AWS::S3::Bucket`'s NotificationConfiguration in the shape S3's API takes (patches.py puts it).
API Gateway's resource types are API Gateway's: `apigateway/resources.py`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ...korean import josa
from ..core.errors import DeployError
from ..moto.resource_models import ResourceModel, backend

__all__ = ["MODELS", "bucket_notifications"]


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class SnsSubscription(ResourceModel):
    TYPE = "AWS::SNS::Subscription"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "SnsSubscription":
        props = cloudformation_json["Properties"]
        sns = backend("sns", account_id, region_name)
        subscription = sns.subscribe(props["TopicArn"], props["Endpoint"], props["Protocol"])
        for name in ("RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy", "DeliveryPolicy"):
            if name in props:
                value = props[name]
                value = str(value).lower() if isinstance(value, bool) else _json_text(value)
                sns.set_subscription_attributes(subscription.arn, name, value)
        return cls(subscription.arn)

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        backend("sns", account_id, region_name).unsubscribe(resource_name)


def _generate_secret(spec: dict[str, Any]) -> str:
    """GenerateSecretString: Secrets Manager's GetRandomPassword (moto's, with its defaults and
    its seedable random), merged into SecretStringTemplate under GenerateStringKey."""
    from moto.secretsmanager.utils import random_password

    try:
        password = random_password(
            password_length=int(spec.get("PasswordLength", 32)),
            exclude_characters=spec.get("ExcludeCharacters", ""),
            exclude_numbers=bool(spec.get("ExcludeNumbers")),
            exclude_punctuation=bool(spec.get("ExcludePunctuation")),
            exclude_uppercase=bool(spec.get("ExcludeUppercase")),
            exclude_lowercase=bool(spec.get("ExcludeLowercase")),
            include_space=bool(spec.get("IncludeSpace")),
            require_each_included_type=bool(spec.get("RequireEachIncludedType", True)),
        )
    except IndexError:  # an empty alphabet: nothing left to draw from
        raise DeployError(
            "GenerateSecretString이 모든 문자를 제외합니다(RequireEachIncludedType이면 포함하는 종류마다 한 글자는 남아야 합니다). "
            "Exclude* 설정을 확인하십시오."
        ) from None
    template, key = spec.get("SecretStringTemplate"), spec.get("GenerateStringKey")
    if template and key:
        document = json.loads(template)
        document[key] = password
        return json.dumps(document)
    return password


class SecretsManagerSecret(ResourceModel):
    TYPE = "AWS::SecretsManager::Secret"
    ATTRIBUTES = ("Id",)

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "SecretsManagerSecret":
        props = cloudformation_json["Properties"]
        secret_string = props.get("SecretString")
        if secret_string is None and "GenerateSecretString" in props:
            secret_string = _generate_secret(props["GenerateSecretString"])
        created = json.loads(
            backend("secretsmanager", account_id, region_name).create_secret(
                name=props.get("Name", resource_name), secret_string=secret_string, secret_binary=None,
                description=props.get("Description"), tags=props.get("Tags"), kms_key_id=props.get("KmsKeyId"),
                client_request_token=None, replica_regions=[], force_overwrite=False,
            )
        )
        return cls(created["ARN"], Id=created["ARN"])

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        backend("secretsmanager", account_id, region_name).delete_secret(
            secret_id=resource_name, recovery_window_in_days=None, force_delete_without_recovery=True
        )


class LambdaEventInvokeConfig(ResourceModel):
    TYPE = "AWS::Lambda::EventInvokeConfig"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "LambdaEventInvokeConfig":
        props = dict(cloudformation_json["Properties"])
        name = props.pop("FunctionName")
        qualifier = props.pop("Qualifier", None)
        target = f"{name}:{qualifier}" if qualifier and qualifier != "$LATEST" and not name.startswith("arn:") else name
        backend("awslambda", account_id, region_name).put_function_event_invoke_config(target, props)
        return cls(f"{name}:{qualifier or '$LATEST'}")


class LambdaVersion(ResourceModel):
    """Replaces moto's, whose Ref is the logical id: AWS's Ref is the version's ARN, which the
    Serverless Framework puts in its `...QualifiedArn` outputs and aliases point at."""

    TYPE = "AWS::Lambda::Version"
    ATTRIBUTES = ("FunctionArn", "Version")

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "LambdaVersion":
        props = cloudformation_json["Properties"]
        fn = backend("awslambda", account_id, region_name).publish_version(
            props["FunctionName"], props.get("Description", "")
        )
        if fn is None:
            raise DeployError(f"{resource_name}: 함수 {josa(props['FunctionName'], '이')} 없어 버전을 발행할 수 없습니다.")
        return cls(fn.function_arn, FunctionArn=fn.function_arn, Version=str(fn.version))  # ARN ends in :<version>


class LambdaAlias(ResourceModel):
    TYPE = "AWS::Lambda::Alias"
    ATTRIBUTES = ("AliasArn",)

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "LambdaAlias":
        props = cloudformation_json["Properties"]
        alias = backend("awslambda", account_id, region_name).create_alias(
            name=props["Name"], function_name=props["FunctionName"], function_version=str(props["FunctionVersion"]),
            description=props.get("Description", ""), routing_config=props.get("RoutingConfig"),
        )
        return cls(alias.arn, AliasArn=alias.arn)


class SchedulerSchedule(ResourceModel):
    TYPE = "AWS::Scheduler::Schedule"
    ATTRIBUTES = ("Arn",)

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "SchedulerSchedule":
        props = cloudformation_json["Properties"]
        schedule = backend("scheduler", account_id, region_name).create_schedule(
            description=props.get("Description"), end_date=props.get("EndDate"),
            flexible_time_window=props.get("FlexibleTimeWindow", {"Mode": "OFF"}), group_name=props.get("GroupName"),
            kms_key_arn=props.get("KmsKeyArn"), name=props.get("Name", resource_name),
            schedule_expression=props["ScheduleExpression"], schedule_expression_timezone=props.get("ScheduleExpressionTimezone"),
            start_date=props.get("StartDate"), state=props.get("State"), target=props["Target"],
            action_after_completion=props.get("ActionAfterCompletion"),
        )
        return cls(schedule.name, Arn=schedule.arn)


class _Policy(ResourceModel):
    """Access policies: kept where the service shows them, never enforced locally."""

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> "_Policy":
        props = cloudformation_json["Properties"]
        document = _json_text(props.get("PolicyDocument", {}))
        if cls.TYPE == "AWS::SQS::QueuePolicy":
            sqs = backend("sqs", account_id, region_name)
            for url in props.get("Queues", []):
                sqs.set_queue_attributes(url.rstrip("/").rsplit("/", 1)[-1], {"Policy": document})
        elif cls.TYPE == "AWS::SNS::TopicPolicy":
            sns = backend("sns", account_id, region_name)
            for arn in props.get("Topics", []):
                sns.set_topic_attribute(arn, "policy", document)
        return cls(f"{resource_name}-{hashlib.sha1(document.encode()).hexdigest()[:8]}")


class SqsQueuePolicy(_Policy):
    TYPE = "AWS::SQS::QueuePolicy"


class SnsTopicPolicy(_Policy):
    TYPE = "AWS::SNS::TopicPolicy"


class S3BucketPolicy(_Policy):
    TYPE = "AWS::S3::BucketPolicy"  # moto would enforce Deny statements without their conditions


_NOTIFICATION_KINDS = (  # CloudFormation's list, its ARN key; moto's list, its ARN key
    ("LambdaConfigurations", "Function", "CloudFunctionConfiguration", "CloudFunction"),
    ("QueueConfigurations", "Queue", "QueueConfiguration", "Queue"),
    ("TopicConfigurations", "Topic", "TopicConfiguration", "Topic"),
)


def bucket_notifications(props: dict[str, Any]) -> dict[str, Any]:
    """An `AWS::S3::Bucket`'s NotificationConfiguration (CloudFormation's shape) in the shape
    moto's PutBucketNotificationConfiguration takes. Empty when there is none."""
    source = props.get("NotificationConfiguration") or {}
    config: dict[str, Any] = {}
    for cfn_list, cfn_arn, moto_list, moto_arn in _NOTIFICATION_KINDS:
        items = []
        for item in source.get(cfn_list) or []:
            rules = ((item.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
            entry: dict[str, Any] = {moto_arn: item[cfn_arn], "Event": [item["Event"]]}
            if rules:  # S3 takes the rule names in either case; moto matches "prefix"/"suffix"
                entry["Filter"] = {"S3Key": {"FilterRule": [{"Name": str(r["Name"]).lower(), "Value": r["Value"]} for r in rules]}}
            items.append(entry)
        if items:
            config[moto_list] = items
    if (source.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled") in (True, "true", "True"):
        config["EventBridgeConfiguration"] = {}
    return config


MODELS: tuple[type[ResourceModel], ...] = (
    SnsSubscription, SecretsManagerSecret, LambdaEventInvokeConfig, LambdaVersion, LambdaAlias, SchedulerSchedule,
    SqsQueuePolicy, SnsTopicPolicy, S3BucketPolicy,
)
