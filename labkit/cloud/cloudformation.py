"""CloudFormation: deploy a template (plain, SAM, or what the Serverless Framework packaged).

moto runs CloudFormation synchronously and knows most resources the course uses; this module
closes the gaps that would otherwise be silently skipped or fail:
- `AWS::SNS::Subscription`, `AWS::SecretsManager::Secret` (SecretString or
  GenerateSecretString), `AWS::Lambda::EventInvokeConfig`, `AWS::Lambda::Alias`,
  `AWS::Scheduler::Schedule`, `AWS::Lambda::Version` (moto's Ref is the logical id, AWS's the
  version ARN), and the access policies `AWS::SQS::QueuePolicy`,
  `AWS::SNS::TopicPolicy`, `AWS::S3::BucketPolicy` (stored, not enforced: the local cloud does not
  evaluate IAM, and moto would enforce a bucket's Deny statements without their conditions);
- API Gateway's resources (REST APIs with an OpenAPI body, stages, SAM's HttpApi) are created by
  `apigateway/resources.py`, which API Gateway adds to moto's parser itself;
- state machines land in the executing backend (see `stepfunctions.py`);
- an `AWS::S3::Bucket`'s NotificationConfiguration (what SAM's and the Serverless Framework's S3
  events become), which moto drops, is put through S3's API.
`deploy()` (`LocalCloud.deploy_stack`) also does what the tools would do before CloudFormation:
- `Transform: AWS::Serverless-2016-10-31` is applied offline with aws-sam-translator, after
  packaging local `CodeUri`/`ContentUri` folders into a staging bucket (as `sam package` does);
- for a Serverless Framework template (`.serverless/cloudformation-template-update-stack.json`),
  `artifacts=".serverless"` uploads the packaged ZIPs the template names by S3Key;
- resources the local cloud cannot create are reported (a Korean warning and `Stack.skipped`)
  instead of vanishing behind CREATE_COMPLETE.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..korean import josa
from .core.errors import DeployError
from .moto.registry import MotoName
from .moto.resource_models import PARSER_PATCHES, ResourceModel, add_to_parser, backend

if TYPE_CHECKING:
    from .core.context import CloudContext

__all__ = ["CloudFormation", "Stack", "load_template"]

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


@dataclass
class Stack:
    """A deployed stack: its outputs and the physical ids of its resources."""

    name: str
    stack_id: str
    status: str
    outputs: dict[str, str]
    resources: dict[str, str]  # logical id -> physical id
    types: dict[str, str]  # logical id -> resource type
    template: dict[str, Any]  # what CloudFormation received (after the SAM transform)
    skipped: list[str] = field(default_factory=list)  # logical ids the local cloud did not create

    def __getitem__(self, logical_id: str) -> str:
        return self.resources[logical_id]


def _is_file(text: str) -> bool:
    try:
        return "\n" not in text and len(text) < 4096 and Path(text).is_file()
    except OSError:  # not a usable path (too long, ...)
        return False


def load_template(template: Any) -> tuple[dict[str, Any], Path | None]:
    """A template from a dict, JSON/YAML text (CloudFormation's !Ref/!Sub tags included) or a file."""
    from samtranslator.yaml_helper import yaml_parse

    if isinstance(template, dict):
        return json.loads(json.dumps(template)), None
    text, base = None, None
    if isinstance(template, Path) or (isinstance(template, str) and _is_file(template)):
        path = Path(template)
        if not path.is_file():
            raise DeployError(f"템플릿 파일 {josa(path, '이')} 없습니다(작업 폴더: {Path.cwd()}). 경로를 확인하십시오.")
        text, base = path.read_text(encoding="utf-8"), path.parent
    elif isinstance(template, str):
        if "\n" not in template and template.strip().lower().endswith((".yaml", ".yml", ".json", ".template")):
            # One line naming a template file that is not there: saying "no Resources section"
            # about the file name itself would send the learner the wrong way.
            raise DeployError(f"템플릿 파일 {josa(template, '이')} 없습니다(작업 폴더: {Path.cwd()}). 경로를 확인하십시오.")
        text = template
    if text is None:
        raise DeployError("템플릿은 dict, JSON/YAML 문자열 또는 템플릿 파일 경로로 넘기십시오.")
    try:
        loaded = yaml_parse(text)
    except Exception as exc:
        raise DeployError(f"템플릿을 읽지 못했습니다: {exc}") from exc
    if not isinstance(loaded, dict) or "Resources" not in loaded:
        raise DeployError("템플릿에 Resources 섹션이 없습니다. CloudFormation 템플릿인지 확인하십시오.")
    return json.loads(json.dumps(loaded, default=str)), base


# --------------------------------------------------------------------------- resource models


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
    SnsSubscription, SecretsManagerSecret, LambdaEventInvokeConfig, LambdaVersion, LambdaAlias, SchedulerSchedule, SqsQueuePolicy, SnsTopicPolicy, S3BucketPolicy,
)


# --------------------------------------------------------------------------- deploying


class _NoManagedPolicies:
    """aws-sam-translator's policy loader: its bundled map is enough, and nothing is fetched."""

    def load(self) -> dict[str, str]:
        return {}


class CloudFormation:
    """Template deployment for one local cloud."""

    def __init__(self, ctx: "CloudContext") -> None:
        self.ctx = ctx

    # ---- code artifacts

    @property
    def artifact_bucket(self) -> str:
        return f"labkit-artifacts-{self.ctx.account_id}-{self.ctx.region}"

    def _upload(self, key: str, data: bytes) -> tuple[str, str]:
        s3 = self.ctx.client("s3")
        bucket = self.artifact_bucket
        try:
            s3.head_bucket(Bucket=bucket)
        except Exception:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": self.ctx.region})
        s3.put_object(Bucket=bucket, Key=key, Body=data)
        return bucket, key

    def _package_sam(self, template: dict[str, Any], base: Path | None, stack: str) -> None:
        """Replace local CodeUri/ContentUri/DefinitionUri paths, as `sam package` would."""
        from .awslambda.packaging import package

        globals_fn = (template.get("Globals") or {}).get("Function") or {}
        for logical_id, resource in (template.get("Resources") or {}).items():
            kind, props = resource.get("Type"), resource.setdefault("Properties", {})
            if kind == "AWS::Serverless::Function" and "InlineCode" not in props and props.get("PackageType") != "Image":
                uri = props.get("CodeUri", globals_fn.get("CodeUri"))
                if isinstance(uri, str) and not uri.startswith("s3://"):
                    folder = (base or Path.cwd()) / uri
                    if not folder.exists():
                        raise DeployError(f"{logical_id}의 CodeUri {uri!r}({folder})가 없습니다. 템플릿 기준 상대 경로인지 확인하십시오.")
                    handler = props.get("Handler", globals_fn.get("Handler"))
                    data, _ = package(folder, handler or "app.handler")
                    bucket, key = self._upload(f"{stack}/{logical_id}-{hashlib.sha256(data).hexdigest()[:16]}.zip", data)
                    props["CodeUri"] = {"Bucket": bucket, "Key": key}
            elif kind == "AWS::Serverless::LayerVersion":
                uri = props.get("ContentUri")
                if isinstance(uri, str) and not uri.startswith("s3://"):
                    from .awslambda.packaging import folder_files as _folder_files, zip_files as _zip

                    data = _zip(_folder_files((base or Path.cwd()) / uri))
                    bucket, key = self._upload(f"{stack}/{logical_id}-{hashlib.sha256(data).hexdigest()[:16]}.zip", data)
                    props["ContentUri"] = {"Bucket": bucket, "Key": key}
            elif kind in ("AWS::Serverless::StateMachine", "AWS::Serverless::Api", "AWS::Serverless::HttpApi"):
                uri = props.get("DefinitionUri")
                if isinstance(uri, str) and not uri.startswith("s3://"):
                    from samtranslator.yaml_helper import yaml_parse

                    document = yaml_parse(((base or Path.cwd()) / uri).read_text(encoding="utf-8"))
                    props.pop("DefinitionUri")
                    props["Definition" if kind.endswith("StateMachine") else "DefinitionBody"] = document

    def _serverless_artifacts(self, template: dict[str, Any], artifacts: Any) -> None:
        """Point Lambda Code at uploaded copies of the ZIPs a packaged template names by S3Key."""
        if artifacts is None:
            return
        files: dict[str, bytes] = {}
        if isinstance(artifacts, dict):
            for key, value in artifacts.items():
                files[Path(key).name] = value if isinstance(value, bytes) else Path(value).read_bytes()
        else:
            for path in Path(artifacts).glob("*.zip"):
                files[path.name] = path.read_bytes()
        for logical_id, resource in (template.get("Resources") or {}).items():
            props = resource.get("Properties") or {}
            code_key = {"AWS::Lambda::Function": "Code", "AWS::Lambda::LayerVersion": "Content"}.get(resource.get("Type", ""))
            code = props.get(code_key) if code_key else None
            if not isinstance(code, dict) or "S3Key" not in code:
                continue
            key = code["S3Key"] if isinstance(code["S3Key"], str) else None
            name = Path(key).name if key else None
            if name not in files:
                raise DeployError(f"{logical_id}의 코드 {key!r}를 artifacts에서 찾지 못했습니다. 패키징된 ZIP이 있는 폴더를 넘기십시오.")
            bucket, _ = self._upload(key, files[name])
            code["S3Bucket"] = bucket
            code.pop("S3ObjectVersion", None)

    # ---- deploy

    def _unsupported(self, template: dict[str, Any]) -> list[str]:
        from moto.cloudformation.parsing import NULL_MODELS, get_model_map

        known = set(get_model_map())
        skipped = []
        for logical_id, resource in (template.get("Resources") or {}).items():
            kind = resource.get("Type", "")
            if kind not in known and kind not in NULL_MODELS and not kind.startswith("Custom::"):
                skipped.append(f"{logical_id} ({kind})")
        return skipped

    def deploy(
        self,
        template: Any,
        name: str,
        parameters: dict[str, Any] | None = None,
        *,
        artifacts: Any = None,
        base_dir: str | Path | None = None,
    ) -> Stack:
        """Create (or update) a stack from a template; raises DeployError (Korean) when it fails."""
        document, base = load_template(template)
        base = Path(base_dir) if base_dir is not None else base
        transforms = document.get("Transform") or []
        transforms = [transforms] if isinstance(transforms, str) else list(transforms)
        if transforms:
            other = [t for t in transforms if t != SAM_TRANSFORM]
            if other:
                raise DeployError(f"오프라인 클라우드는 {SAM_TRANSFORM} 변환만 적용합니다. 지원하지 않는 Transform: {other}")
            from samtranslator.translator.transform import transform

            self._package_sam(document, base, name)
            try:
                document = transform(document, dict(parameters or {}), _NoManagedPolicies())
            except Exception as exc:
                raise DeployError(f"SAM 템플릿을 변환하지 못했습니다: {exc}") from exc
        self._serverless_artifacts(document, artifacts)
        skipped = self._unsupported(document)
        if skipped:
            warnings.warn(
                "오프라인 클라우드가 만들 수 없는 리소스는 건너뜁니다(AWS에서는 만들어집니다): " + ", ".join(skipped),
                stacklevel=3,
            )
        cfn = self.ctx.client("cloudformation")
        args: dict[str, Any] = {
            "StackName": name,
            "TemplateBody": json.dumps(document),
            "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        }
        if parameters:
            args["Parameters"] = [{"ParameterKey": k, "ParameterValue": str(v)} for k, v in parameters.items()]
        try:
            cfn.describe_stacks(StackName=name)
            exists = True
        except cfn.exceptions.ClientError:
            exists = False
        with warnings.catch_warnings():  # moto's English warning repeats the Korean one above
            warnings.filterwarnings("ignore", message="Tried to parse")
            try:
                if exists:
                    cfn.update_stack(**args)
                else:
                    cfn.create_stack(**args)
            except Exception as exc:
                raise DeployError(f"스택 {josa(name, '을')} 배포하지 못했습니다: {exc}") from exc
            described = cfn.describe_stacks(StackName=name)["Stacks"][0]
            status = described["StackStatus"]
            if not status.endswith("_COMPLETE") or "ROLLBACK" in status:
                reasons = [
                    f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}"
                    for e in cfn.describe_stack_events(StackName=name)["StackEvents"]
                    if e.get("ResourceStatusReason")
                ]
                raise DeployError(f"스택 {name}의 상태가 {status}입니다. " + "; ".join(reasons[:5]))
            summaries = cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
        return Stack(
            name=name,
            stack_id=described["StackId"],
            status=status,
            outputs={o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])},
            resources={r["LogicalResourceId"]: r["PhysicalResourceId"] for r in summaries},
            types={r["LogicalResourceId"]: r["ResourceType"] for r in summaries},
            template=document,
            skipped=[s.split(" ", 1)[0] for s in skipped],
        )

    # ---- moto patches

    def install(self, set_: Callable[[Any, str, Any], None]) -> None:
        from .moto.patching import when_imported

        def patch_bucket() -> None:
            # moto creates an AWS::S3::Bucket without its NotificationConfiguration, so the
            # Serverless Framework's and SAM's S3 events would never fire. Put it as S3's API does
            # (through the runtime's checks: overlapping rules are refused).
            from moto.s3.models import FakeBucket, s3_backends

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

        add_to_parser(set_, MODELS)
        when_imported("moto.s3.models", patch_bucket)


# moto's private names `CloudFormation.install` patches or reads (on moto's import of them).
PATCHES = (
    MotoName("moto.s3.models:FakeBucket", "create_from_cloudformation_json",
        "(resource_name, cloudformation_json, account_id, region_name, **kwargs)"),
    MotoName("moto.s3.models:FakeBucket", "update_from_cloudformation_json",
        "(original_resource, new_resource_name, cloudformation_json, account_id, region_name)"),
    *PARSER_PATCHES,
    MotoName("moto.cloudformation.parsing", "NULL_MODELS"),
    MotoName("moto.secretsmanager.utils", "random_password",
        "(password_length, exclude_characters, exclude_numbers, exclude_punctuation, exclude_uppercase, "
        "exclude_lowercase, include_space, require_each_included_type)"),
)
