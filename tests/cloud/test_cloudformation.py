"""CloudFormation deployment: SAM (transformed offline), Serverless Framework output, the resources moto skips."""

from __future__ import annotations

import io
import json
import textwrap
import zipfile
from pathlib import Path

import pytest
import requests

from labkit.cloud import DeployError, LocalCloud

APP = """
import json, os
def handler(event, context):
    print("SEEN " + json.dumps(event))
    return {"statusCode": 200, "body": json.dumps({"params": event.get("pathParameters"), "stage": os.environ.get("STAGE")})}
"""

SAM_TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Environment:
      Variables:
        STAGE: prod
Resources:
  UsersFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Events:
        GetUser:
          Type: Api
          Properties:
            Path: /users/{id}
            Method: get
        GetUserHttp:
          Type: HttpApi
          Properties:
            Path: /v2/users/{id}
            Method: get
  Notifications:
    Type: AWS::SNS::Topic
  Inbox:
    Type: AWS::SQS::Queue
  InboxSubscription:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Notifications
      Protocol: sqs
      Endpoint: !GetAtt Inbox.Arn
      RawMessageDelivery: true
      FilterPolicy:
        kind: [signup]
  DbSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: lab/db
      GenerateSecretString:
        SecretStringTemplate: '{"username": "admin"}'
        GenerateStringKey: password
        PasswordLength: 24
        ExcludeCharacters: '"@/\\'
Outputs:
  RestUrl:
    Value: !Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod"
  HttpUrl:
    Value: !GetAtt ServerlessHttpApi.ApiEndpoint
  SecretArn:
    Value: !Ref DbSecret
"""


def _sam_project(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(textwrap.dedent(APP))
    (tmp_path / "template.yaml").write_text(SAM_TEMPLATE)
    return tmp_path / "template.yaml"


def _seen(cloud: LocalCloud, name: str) -> list[dict]:
    return [json.loads(line[5:]) for line in cloud.logs(name) if line.startswith("SEEN ")]


def test_sam_template_is_transformed_packaged_and_served(cloud: LocalCloud, tmp_path) -> None:
    stack = cloud.deploy_stack(_sam_project(tmp_path), name="users")
    assert stack.status == "CREATE_COMPLETE" and stack.skipped == []
    assert stack.types["ServerlessRestApi"] == "AWS::ApiGateway::RestApi"  # the SAM transform ran
    rest = requests.get(stack.outputs["RestUrl"] + "/users/7")
    assert rest.status_code == 200 and rest.json() == {"params": {"id": "7"}, "stage": "prod"}
    http = requests.get(stack.outputs["HttpUrl"] + "/v2/users/8")
    assert http.status_code == 200 and http.json()["params"] == {"id": "8"}
    function = stack["UsersFunction"]
    assert [e.get("version", "1.0") for e in _seen(cloud, function)] == ["1.0", "2.0"]


def test_a_sam_function_without_codeuri_ships_the_templates_folder_as_sam_package_does(cloud: LocalCloud, tmp_path) -> None:
    # SAM CLI's exporter packages a missing CodeUri as the template's folder (PACKAGE_NULL_PROPERTY),
    # so a template with only `Handler: src/app.handler` deploys on AWS; it was refused here.
    template = _sam_project(tmp_path)
    template.write_text(SAM_TEMPLATE.replace("      CodeUri: src/\n", "").replace("Handler: app.handler", "Handler: src/app.handler"))
    stack = cloud.deploy_stack(template, name="no-codeuri")
    rest = requests.get(stack.outputs["RestUrl"] + "/users/7")
    assert rest.status_code == 200 and rest.json()["params"] == {"id": "7"}
    code = stack.template["Resources"]["UsersFunction"]["Properties"]["Code"]
    body = cloud.client("s3").get_object(Bucket=code["S3Bucket"], Key=code["S3Key"])["Body"].read()
    assert {"template.yaml", "src/app.py"} <= set(zipfile.ZipFile(io.BytesIO(body)).namelist())


def test_sns_subscription_and_secret_are_created_not_skipped(cloud: LocalCloud, tmp_path) -> None:
    stack = cloud.deploy_stack(_sam_project(tmp_path), name="users")
    sns, sqs = cloud.client("sns"), cloud.client("sqs")
    sns.publish(TopicArn=stack["Notifications"], Message="ignored", MessageAttributes={"kind": {"DataType": "String", "StringValue": "other"}})
    sns.publish(TopicArn=stack["Notifications"], Message="welcome", MessageAttributes={"kind": {"DataType": "String", "StringValue": "signup"}})
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=stack["Inbox"], MaxNumberOfMessages=10).get("Messages", [])]
    assert bodies == ["welcome"]  # raw delivery and the filter policy both applied
    secret = json.loads(cloud.client("secretsmanager").get_secret_value(SecretId=stack.outputs["SecretArn"])["SecretString"])
    assert secret["username"] == "admin" and len(secret["password"]) == 24
    assert not set(secret["password"]) & set('"@/\\')


def _secret_template(name: str, **options: object) -> dict:
    generate = {"SecretStringTemplate": '{"username": "admin"}', "GenerateStringKey": "password", **options}
    return {"Resources": {"Secret": {"Type": "AWS::SecretsManager::Secret",
                                     "Properties": {"Name": name, "GenerateSecretString": generate}}}}


def test_generated_secret_is_secrets_manager_s_random_password(cloud: LocalCloud) -> None:
    """GenerateSecretString draws as GetRandomPassword does, from moto's seedable random: after
    the same moto seed (`/moto-api/seed`) the same stack gets the same secret, as every other id."""
    secrets = cloud.client("secretsmanager")

    def deployed(seed: int, name: str, **options: object) -> dict:
        requests.post(f"http://motoapi.amazonaws.com/moto-api/seed?a={seed}")
        stack = cloud.deploy_stack(_secret_template("lab/db", **options), name=name)
        value = json.loads(secrets.get_secret_value(SecretId=stack["Secret"])["SecretString"])
        cloud.client("cloudformation").delete_stack(StackName=name)
        return value

    options = {"PasswordLength": 24, "ExcludeCharacters": '"@/\\', "ExcludeNumbers": True}
    first, again = deployed(7, "one", **options), deployed(7, "one", **options)
    assert first == again and first["username"] == "admin"
    password = first["password"]
    assert len(password) == 24 and not set(password) & set('"@/\\0123456789')
    assert {"lower", "upper", "punctuation"} == {
        "lower" if c.islower() else "upper" if c.isupper() else "punctuation" for c in password
    }  # RequireEachIncludedType, AWS's default
    assert deployed(8, "one", **options) != first
    with pytest.raises(DeployError, match="GenerateSecretString이 모든 문자를 제외합니다"):
        cloud.deploy_stack(_secret_template("lab/none", ExcludeLowercase=True, ExcludeUppercase=True,
                                            ExcludeNumbers=True, ExcludePunctuation=True), name="none")


def test_rest_api_with_body_and_no_name_and_explicit_stage(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=APP), name="items")
    uri = f"arn:aws:apigateway:{cloud.region}:lambda:path/2015-03-31/functions/{fn.arn}/invocations"
    body = {
        "openapi": "3.0.1",
        "info": {"title": "items-api", "version": "1"},
        "paths": {
            "/items/{id}": {"get": {"x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": uri}}},
            "/{proxy+}": {"x-amazon-apigateway-any-method": {"x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": uri}}},
        },
        "x-amazon-apigateway-binary-media-types": ["image/png"],
    }
    template = {
        "Resources": {
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": body}},
            "Deployment": {"Type": "AWS::ApiGateway::Deployment", "Properties": {"RestApiId": {"Ref": "Api"}}},
            "Live": {
                "Type": "AWS::ApiGateway::Stage",
                "Properties": {"RestApiId": {"Ref": "Api"}, "DeploymentId": {"Ref": "Deployment"}, "StageName": "live", "Variables": {"mode": "cfn"}},
            },
        },
        "Outputs": {"ApiId": {"Value": {"Ref": "Api"}}},
    }
    stack = cloud.deploy_stack(template, name="items")
    api_id = stack.outputs["ApiId"]
    assert cloud.client("apigateway").get_rest_api(restApiId=api_id)["name"] == "items-api"
    base = cloud.api_url(api_id, "live")
    assert requests.get(base + "/items/1").json()["params"] == {"id": "1"}
    assert requests.post(base + "/any/thing").json()["params"] == {"proxy": "any/thing"}
    events = _seen(cloud, "items")
    assert events[0]["stageVariables"] == {"mode": "cfn"} and events[0]["resource"] == "/items/{id}"


POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": "*"}],
}


def test_lambda_extras_policies_and_schedules(cloud: LocalCloud, code_dir) -> None:
    fn = cloud.deploy(code_dir(app=APP), name="worker", publish=True)
    template = {
        "Resources": {
            "Failures": {"Type": "AWS::SQS::Queue"},
            "FailuresPolicy": {
                "Type": "AWS::SQS::QueuePolicy",
                "Properties": {"Queues": [{"Ref": "Failures"}], "PolicyDocument": POLICY},
            },
            "Invoke": {
                "Type": "AWS::Lambda::EventInvokeConfig",
                "Properties": {
                    "FunctionName": "worker", "Qualifier": "$LATEST", "MaximumRetryAttempts": 0,
                    "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": ["Failures", "Arn"]}}},
                },
            },
            "Live": {"Type": "AWS::Lambda::Alias", "Properties": {"FunctionName": "worker", "FunctionVersion": "1", "Name": "live"}},
            "Nightly": {
                "Type": "AWS::Scheduler::Schedule",
                "Properties": {
                    "ScheduleExpression": "rate(1 hour)", "FlexibleTimeWindow": {"Mode": "OFF"},
                    "Target": {"Arn": fn.arn, "RoleArn": "arn:aws:iam::123456789012:role/s", "Input": "{\"job\": \"nightly\"}"},
                },
            },
        },
    }
    stack = cloud.deploy_stack(template, name="extras")
    assert stack.skipped == []
    lam = cloud.client("lambda")
    config = lam.get_function_event_invoke_config(FunctionName="worker")
    assert config["MaximumRetryAttempts"] == 0
    assert lam.get_alias(FunctionName="worker", Name="live")["FunctionVersion"] == "1"
    attributes = cloud.client("sqs").get_queue_attributes(QueueUrl=stack["Failures"], AttributeNames=["Policy"])["Attributes"]
    assert json.loads(attributes["Policy"]) == POLICY
    cloud.clock.advance(3600)
    cloud.run_until_idle()
    assert _seen(cloud, "worker") == [{"job": "nightly"}]


def _serverless_template(service: str = "users-svc", stage: str = "dev") -> dict:
    """The shape of what `serverless package` (v3 / osls) writes for one function with an http event."""
    key = f"serverless/{service}/{stage}/1700000000000-2023-11-14T22:13:20.000Z/{service}.zip"
    function_arn = {"Fn::GetAtt": ["GetUserLambdaFunction", "Arn"]}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "ServerlessDeploymentBucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}}},
            "ServerlessDeploymentBucketPolicy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "Bucket": {"Ref": "ServerlessDeploymentBucket"},
                    "PolicyDocument": {"Statement": [{"Action": "s3:*", "Effect": "Deny", "Principal": "*", "Resource": ["*"], "Condition": {"Bool": {"aws:SecureTransport": False}}}]},
                },
            },
            "GetUserLogGroup": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": f"/aws/lambda/{service}-{stage}-getUser"}},
            "IamRoleLambdaExecution": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}]},
                    "RoleName": f"{service}-{stage}-lambdaRole",
                },
            },
            "GetUserLambdaFunction": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Code": {"S3Bucket": {"Ref": "ServerlessDeploymentBucket"}, "S3Key": key},
                    "Handler": "handler.handler", "Runtime": "python3.12", "FunctionName": f"{service}-{stage}-getUser",
                    "MemorySize": 1024, "Timeout": 6, "Environment": {"Variables": {"STAGE": stage}},
                    "Role": {"Fn::GetAtt": ["IamRoleLambdaExecution", "Arn"]},
                },
                "DependsOn": ["GetUserLogGroup"],
            },
            "GetUserLambdaVersionAbc": {"Type": "AWS::Lambda::Version", "DeletionPolicy": "Retain", "Properties": {"FunctionName": {"Ref": "GetUserLambdaFunction"}, "CodeSha256": "x"}},
            "ApiGatewayRestApi": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": f"{stage}-{service}", "EndpointConfiguration": {"Types": ["EDGE"]}, "Policy": ""}},
            "ApiGatewayResourceUsers": {"Type": "AWS::ApiGateway::Resource", "Properties": {"ParentId": {"Fn::GetAtt": ["ApiGatewayRestApi", "RootResourceId"]}, "PathPart": "users", "RestApiId": {"Ref": "ApiGatewayRestApi"}}},
            "ApiGatewayResourceUsersIdVar": {"Type": "AWS::ApiGateway::Resource", "Properties": {"ParentId": {"Ref": "ApiGatewayResourceUsers"}, "PathPart": "{id}", "RestApiId": {"Ref": "ApiGatewayRestApi"}}},
            "ApiGatewayMethodUsersIdVarGet": {
                "Type": "AWS::ApiGateway::Method",
                "Properties": {
                    "HttpMethod": "GET", "RequestParameters": {}, "ResourceId": {"Ref": "ApiGatewayResourceUsersIdVar"},
                    "RestApiId": {"Ref": "ApiGatewayRestApi"}, "ApiKeyRequired": False, "AuthorizationType": "NONE",
                    "Integration": {
                        "IntegrationHttpMethod": "POST", "Type": "AWS_PROXY",
                        "Uri": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":apigateway:", {"Ref": "AWS::Region"}, ":lambda:path/2015-03-31/functions/", function_arn, "/invocations"]]},
                    },
                    "MethodResponses": [],
                },
                "DependsOn": ["GetUserLambdaPermissionApiGateway"],
            },
            "ApiGatewayDeployment1700000000000": {"Type": "AWS::ApiGateway::Deployment", "Properties": {"RestApiId": {"Ref": "ApiGatewayRestApi"}, "StageName": stage}, "DependsOn": ["ApiGatewayMethodUsersIdVarGet"]},
            "GetUserLambdaPermissionApiGateway": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {"FunctionName": function_arn, "Action": "lambda:InvokeFunction", "Principal": "apigateway.amazonaws.com"},
            },
        },
        "Outputs": {
            "ServiceEndpoint": {"Value": {"Fn::Join": ["", ["https://", {"Ref": "ApiGatewayRestApi"}, ".execute-api.", {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}, f"/{stage}"]]}},
        },
    }


def serverless_folder(folder: Path) -> Path:
    """What `serverless package` leaves in folder/.serverless/ (the template and the ZIP it names).

    Hand-made, so the mechanics are pinned apart from the framework; test_serverless_framework.py
    deploys what the real framework writes."""
    packaged = folder / ".serverless"
    packaged.mkdir()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", textwrap.dedent(APP))
    (packaged / "users-svc.zip").write_bytes(buffer.getvalue())
    (packaged / "cloudformation-template-update-stack.json").write_text(json.dumps(_serverless_template()))
    return packaged


def test_serverless_framework_package_deploys_with_its_artifacts(cloud: LocalCloud, tmp_path) -> None:
    packaged = serverless_folder(tmp_path)
    stack = cloud.deploy_stack(packaged / "cloudformation-template-update-stack.json", name="users-svc-dev", artifacts=packaged)
    assert stack.skipped == []
    response = requests.get(stack.outputs["ServiceEndpoint"] + "/users/42")
    assert response.status_code == 200 and response.json() == {"params": {"id": "42"}, "stage": "dev"}
    bucket = stack["ServerlessDeploymentBucket"]
    cloud.client("s3").put_object(Bucket=bucket, Key="still/usable", Body=b"x")  # the Deny policy is not enforced


def test_missing_artifact_and_unsupported_resources_are_reported(cloud: LocalCloud, tmp_path) -> None:
    with pytest.raises(DeployError, match="artifacts에서 찾지 못했습니다"):
        cloud.deploy_stack(_serverless_template(), name="broken", artifacts=tmp_path)
    template = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}, "Url": {"Type": "AWS::Lambda::Url", "Properties": {"TargetFunctionArn": "x", "AuthType": "NONE"}}}}
    with pytest.warns(UserWarning, match="만들 수 없는 리소스"):
        stack = cloud.deploy_stack(template, name="partial")
    assert stack.skipped == ["Url"] and "Queue" in stack.resources


def test_bad_templates_get_korean_errors(cloud: LocalCloud, tmp_path) -> None:
    with pytest.raises(DeployError, match="Resources"):
        cloud.deploy_stack("Description: nothing here", name="empty")
    (tmp_path / "template.yaml").write_text(SAM_TEMPLATE)  # CodeUri src/ does not exist
    with pytest.raises(DeployError, match="CodeUri"):
        cloud.deploy_stack(tmp_path / "template.yaml", name="nocode")
    for missing in ("templates/missing.yaml", tmp_path / "missing.yaml"):  # a typo in the path
        with pytest.raises(DeployError, match="missing.yaml이 없습니다"):
            cloud.deploy_stack(missing, name="typo")


def test_redeploy_updates_the_stack(cloud: LocalCloud) -> None:
    template = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "jobs"}}}}
    first = cloud.deploy_stack(template, name="jobs")
    template["Resources"]["Topic"] = {"Type": "AWS::SNS::Topic"}
    second = cloud.deploy_stack(template, name="jobs")
    assert first.status == "CREATE_COMPLETE" and second.status == "UPDATE_COMPLETE"
    assert set(second.resources) == {"Queue", "Topic"}


def test_redeploying_a_role_applies_its_new_inline_policies_and_trust(cloud: LocalCloud) -> None:
    # The Serverless Framework puts iam.role.statements in one inline policy of one role: a
    # redeploy with a new statement must change what the function may do (moto kept the old one).
    def template(actions: list[str], extra: bool, service: str) -> dict:
        policies = [{"PolicyName": "app", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": actions, "Resource": "*"}]}}]
        if extra:
            policies.append({"PolicyName": "old", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}})
        return {"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": "app-role",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]},
            "Policies": policies}}}}

    iam = cloud.client("iam")
    cloud.deploy_stack(template(["dynamodb:GetItem"], True, "lambda.amazonaws.com"), "roles")
    first = iam.get_role_policy(RoleName="app-role", PolicyName="app")["PolicyDocument"]
    assert first["Statement"][0]["Action"] == ["dynamodb:GetItem"]  # JSON, as IAM answers (not Python's repr)
    cloud.deploy_stack(template(["dynamodb:GetItem", "dynamodb:PutItem"], False, "states.amazonaws.com"), "roles")
    assert iam.list_role_policies(RoleName="app-role")["PolicyNames"] == ["app"]
    statement = iam.get_role_policy(RoleName="app-role", PolicyName="app")["PolicyDocument"]["Statement"][0]
    assert statement["Action"] == ["dynamodb:GetItem", "dynamodb:PutItem"]
    trust = iam.get_role(RoleName="app-role")["Role"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "states.amazonaws.com"}


def test_a_roles_managed_policy_arns_are_attached_updated_and_refused_when_unknown(cloud: LocalCloud) -> None:
    # osls' iam.role.managedPolicies and SAM's `Policies: [AmazonDynamoDBFullAccess]` become
    # ManagedPolicyArns; moto ignored them, so a permission audit saw a role with no such policy.
    def template(*arns: str, name: str = "managed-role") -> dict:
        return {"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": name,
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "ManagedPolicyArns": list(arns)}}}}

    iam = cloud.client("iam")
    basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    full = "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"

    def attached() -> list[str]:
        return sorted(p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="managed-role")["AttachedPolicies"])

    cloud.deploy_stack(template(basic, full), "managed")
    assert attached() == [full, basic]
    version = iam.get_policy(PolicyArn=full)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=full, VersionId=version)["PolicyVersion"]["Document"]
    assert any("dynamodb:*" in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]]) for s in document["Statement"])
    cloud.deploy_stack(template(basic), "managed")
    assert attached() == [basic]
    with pytest.raises(Exception, match="NoSuchPolicyAtAll.*does not exist"):
        cloud.deploy_stack(template("arn:aws:iam::aws:policy/NoSuchPolicyAtAll", name="unknown-role"), "managed-unknown")
    assert "unknown-role" not in [r["RoleName"] for r in iam.list_roles()["Roles"]]  # rolled back


def test_a_buckets_notification_configuration_is_applied(cloud: LocalCloud, code_dir) -> None:
    # What the Serverless Framework's `s3` event and SAM's S3 event both become: the bucket's own
    # NotificationConfiguration (CloudFormation's shape). moto creates the bucket and drops it.
    fn = cloud.deploy(code_dir(app="def handler(event, context):\n    print('KEY', event['Records'][0]['s3']['object']['key'])\n"),
                      name="on-upload")
    template = {
        "Resources": {
            "Alerts": {"Type": "AWS::SNS::Topic"},
            "Inbox": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "BucketName": "cfn-inbox",
                    "NotificationConfiguration": {
                        "LambdaConfigurations": [{
                            "Event": "s3:ObjectCreated:*", "Function": fn.arn,
                            "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "in/"}, {"Name": "Suffix", "Value": ".jpg"}]}},
                        }],
                        "TopicConfigurations": [{"Event": "s3:ObjectRemoved:*", "Topic": {"Ref": "Alerts"}}],
                    },
                },
            },
        },
    }
    stack = cloud.deploy_stack(template, name="bucket-events")
    assert stack.skipped == []
    s3 = cloud.client("s3")
    config = s3.get_bucket_notification_configuration(Bucket="cfn-inbox")
    assert [c["LambdaFunctionArn"] for c in config["LambdaFunctionConfigurations"]] == [fn.arn]
    assert [c["Events"] for c in config["TopicConfigurations"]] == [["s3:ObjectRemoved:*"]]
    for key in ("in/사진 1.jpg", "in/a.png", "out/b.jpg"):
        s3.put_object(Bucket="cfn-inbox", Key=key, Body=b"x")
    cloud.run_until_idle()
    assert [line for line in fn.logs() if line.startswith("KEY ")] == ["KEY in/%EC%82%AC%EC%A7%84+1.jpg"]
    # a redeploy with the configuration removed takes it away, as CloudFormation's update does
    del template["Resources"]["Inbox"]["Properties"]["NotificationConfiguration"]
    cloud.deploy_stack(template, name="bucket-events")
    assert "LambdaFunctionConfigurations" not in s3.get_bucket_notification_configuration(Bucket="cfn-inbox")
