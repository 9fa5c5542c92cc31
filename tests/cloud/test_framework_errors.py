"""labkit.framework runs the real framework (osls) offline and explains what it refuses in Korean.

Every case below is a serverless.yml with a real mistake, run through the real framework: the
`FrameworkError` names the file, the line and the fix in Korean, and keeps the framework's own
message below. The services are run all at once in one module fixture (one osls process each).
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from labkit import framework
from labkit.cloud import LocalCloud

ROOT = Path(__file__).resolve().parents[2]

HEAD = """\
service: orders
frameworkVersion: "3"
provider:
  name: aws
  runtime: python3.13
functions:
  hello:
    handler: handler.hello
"""  # 8 lines: a case's own lines start at line 9

CASES: dict[str, str] = {
    "flow_braces": HEAD + "    events:\n      - http: {path: /users/{id}, method: get}\n",
    "unknown_event": HEAD + "    events:\n      - htp:\n          path: /x\n          method: get\n",
    "slid_indent": HEAD + "    events:\n      - http:\n        path: /x\n        method: get\n",
    "misspelt_property": HEAD + "    timeuot: 10\n",
    "opt_without_default": HEAD + "    environment:\n      COLOR: ${opt:color}\n",
    "ssm": HEAD + "    environment:\n      KEY: ${ssm:/orders/key}\n",
    "account_id": HEAD + "    environment:\n      ACCOUNT: ${aws:accountId}\n",
    "missing_self": HEAD + "    environment:\n      TABLE: ${self:custom.tableName}\n",
    "plugin": HEAD + "plugins:\n  - serverless-offline\n",
    "framework_v4": HEAD.replace('frameworkVersion: "3"', 'frameworkVersion: "4"'),
    "nothing_to_package": HEAD + "package:\n  patterns:\n    - '!**'\n",
    "bad_bucket": HEAD + "    events:\n      - s3:\n          bucket: <your-bucket-name>\n          event: s3:ObjectCreated:*\n",
}
HANDLER = "def hello(event, context):\n    return {'ok': True}\n"


def _service(root: Path, name: str, yml: str) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "serverless.yml").write_text(yml, encoding="utf-8")
    (folder / "handler.py").write_text(HANDLER, encoding="utf-8")
    return folder


ENV_YML = HEAD + ("    environment:\n      KEY: ${env:AWS_ACCESS_KEY_ID}\n      SECRET: ${env:AWS_SECRET_ACCESS_KEY}\n"
                  "      PROFILE: ${env:AWS_PROFILE, 'none'}\n      HOME: ${env:HOME}\n      COLOR: ${env:COURSE_COLOR}\n")
VARS_YML = """\
service: orders
frameworkVersion: "3"
custom:
  stage: ${opt:stage, 'dev'}
  devSize: 5
  prodSize: 10
  size: ${self:custom.${self:custom.stage}Size}
  limits: ${file(./limits.yml):${self:custom.stage}}
  rps: ${file(./limits.yml):${self:custom.stage}.rps}
provider:
  name: aws
  runtime: python3.13
  environment:
    STAGE: ${sls:stage}
    REGION: ${aws:region}
    TABLE: ${self:service}-${sls:stage}-orders
functions:
  hello:
    handler: handler.hello
"""
WRONG_REFERENCES = HEAD.replace("  hello:\n    handler: handler.hello\n", """\
  worker:
    handler: handler.hello
    events:
      - sqs:
          arn: !GetAtt JobsQeue.Arn
resources:
  Resources:
    JobsQueue:
      Type: AWS::SQS::Queue
""")
REFERENCES = {  # lines: worker 7 ... arn 11
    "missing_resource": WRONG_REFERENCES,
    "missing_attribute": WRONG_REFERENCES.replace("JobsQeue.Arn", "JobsQueue.Arnn"),
    "missing_ref": WRONG_REFERENCES.replace("          arn: !GetAtt JobsQeue.Arn\n",
                                            "          arn: !GetAtt JobsQueue.Arn\n    environment:\n      QUEUE: !Ref Jobs\n"),
    "fixed": WRONG_REFERENCES.replace("JobsQeue", "JobsQueue"),
}

# Services osls packages and AWS deploys, whose functions fail at their first invoke: said at packaging.
HANDLER_CASES = {
    "handler_file_missing": HEAD.replace("handler: handler.hello", "handler: src/handler.hello"),
    "handler_function_missing": HEAD.replace("handler: handler.hello", "handler: handler.helo"),
    "node_runtime": HEAD.replace("runtime: python3.13", "runtime: nodejs22.x").replace("handler.hello", "index.handler"),
    "lambda_integration": HEAD + "    events:\n      - http:\n          path: /x\n          method: get\n          integration: lambda\n",
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, float]]:
    """Every framework run of this module at once: name -> (the FrameworkError, Package or Config,
    seconds it took). They run with real-looking AWS credentials and a profile in this process's
    environment, which must not reach the framework."""
    try:
        framework.osls_path()
    except framework.FrameworkError:
        pytest.skip("osls가 설치되지 않았습니다(./course가 npm ci로 설치합니다)")
    root = tmp_path_factory.mktemp("refused")
    jobs: dict[str, Any] = {name: (lambda n=name: framework.package(_service(root, n, CASES[n]))) for name in CASES}
    jobs.update({name: (lambda n=name: framework.package(_service(root, n, REFERENCES[n]))) for name in REFERENCES})
    jobs["env"] = lambda: framework.print_config(_service(root, "env", ENV_YML))
    variables = _service(root, "vars", VARS_YML)
    (variables / "limits.yml").write_text("dev: {rps: 1}\nprod: {rps: 100}\n")
    broken_file = _service(root, "broken_file", HEAD + "    environment:\n      LIMITS: ${file(./limits.yml):dev}\n")
    (broken_file / "limits.yml").write_text("dev: {rps: 1\nprod: 2\n")  # the brace is never closed
    jobs["broken_file"] = lambda: framework.package(broken_file)
    for name, yml in HANDLER_CASES.items():
        jobs[name] = lambda n=name, y=yml: framework.package(_service(root, n, y))
    jobs["vars_dev"] = lambda: framework.print_config(variables)
    jobs["vars_prod"] = lambda: framework.print_config(variables, stage="prod")

    def run(name: str) -> tuple[Any, float]:
        started = time.monotonic()
        try:
            result: Any = jobs[name]()
        except framework.FrameworkError as exc:
            result = exc
        return result, time.monotonic() - started

    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKINGKEY00")
        env.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
        env.setenv("AWS_PROFILE", "production")
        env.setenv("COURSE_COLOR", "blue")
        with ThreadPoolExecutor(max_workers=4) as pool:
            return dict(zip(jobs, pool.map(run, jobs)))


def _error(runs: dict, case: str) -> framework.FrameworkError:
    error, _ = runs[case]
    assert isinstance(error, framework.FrameworkError), f"{case}: the framework accepted it"
    assert error.file is not None and error.file.name == "serverless.yml"
    korean, _, original = str(error).partition("\n\n프레임워크의 원래 메시지:\n")
    assert korean and original, "the Korean explanation first, the framework's own message below"
    print(f"--- {case}\n{error}")  # what the learner sees, in the test log
    return error


def test_malformed_yaml_names_the_line_and_says_to_quote_the_braces(runs) -> None:
    error = _error(runs, "flow_braces")
    assert error.line == 10 and error.explanation.startswith("serverless.yml 10번째 줄: YAML로 읽을 수 없습니다")
    assert '"/users/{id}"' in error.explanation and "따옴표" in error.explanation
    assert "Cannot parse" in error.framework_message


def test_an_unknown_event_type_is_an_error_with_the_close_name(runs) -> None:
    error = _error(runs, "unknown_event")
    assert error.line == 10
    assert "알 수 없는 이벤트 유형이 있습니다: htp" in error.explanation and "http의 철자 실수라면" in error.explanation
    assert "unsupported function event" in error.framework_message


def test_an_event_whose_settings_slid_out_by_indentation(runs) -> None:
    """`- http:` with path and method at its own indentation: http is null, they became properties."""
    error = _error(runs, "slid_indent")
    assert error.line == 10
    assert "이벤트 http의 설정(path, method)" in error.explanation and "두 칸 더 들여 쓰십시오" in error.explanation
    assert "unsupported function event" in error.framework_message


def test_a_misspelt_property_the_framework_would_ignore(runs) -> None:
    error = _error(runs, "misspelt_property")
    assert error.line == 9 and "timeuot" in error.explanation and "timeout의 철자 실수라면" in error.explanation
    assert "unrecognized property 'timeuot'" in error.framework_message


def test_an_option_without_a_default(runs) -> None:
    error = _error(runs, "opt_without_default")
    assert error.line == 10 and "${opt:color}" in error.explanation
    assert "--color" in error.explanation and "${opt:이름, '기본값'}" in error.explanation
    assert 'Value not found at "opt" source' in error.framework_message


@pytest.mark.parametrize("case, variable, host", [("ssm", "${ssm:/orders/key}", "ssm.ap-northeast-2.amazonaws.com"),
                                                  ("account_id", "${aws:accountId}", "sts.amazonaws.com")])
def test_variables_that_ask_aws_fail_at_once_without_reaching_it(runs, case: str, variable: str, host: str) -> None:
    error = _error(runs, case)
    assert error.line == 10 and variable in error.explanation and "AWS에 연결하지 않습니다" in error.explanation
    # the request went to the closed local port, not to AWS, and no retries were waited for (~25 s by default)
    assert f"Inaccessible host: `{host}' at port `9'" in error.framework_message
    assert runs[case][1] < 20


def test_a_self_reference_to_a_missing_key(runs) -> None:
    error = _error(runs, "missing_self")
    assert error.line == 10 and "${self:custom.tableName}" in error.explanation and "그 키가 없습니다" in error.explanation


def test_a_plugin_that_is_not_installed(runs) -> None:
    error = _error(runs, "plugin")
    assert error.line == 10 and "설치되어 있지 않습니다: serverless-offline" in error.explanation
    assert 'plugin "serverless-offline" not found' in error.framework_message


def test_a_v4_project_is_told_which_framework_line_runs(runs) -> None:
    error = _error(runs, "framework_v4")
    assert error.line == 2 and "frameworkVersion: '3'" in error.explanation
    assert "does not satisfy" in error.framework_message


def test_a_package_with_no_file_in_it(runs) -> None:
    error = _error(runs, "nothing_to_package")
    assert error.line == 9 and "패키지에 넣을 파일이 하나도 없습니다" in error.explanation and "package.patterns" in error.explanation
    assert "No file matches include / exclude patterns" in error.framework_message


def test_the_pinned_osls_is_the_one_that_runs() -> None:
    pinned = json.loads((ROOT / "package.json").read_text())
    assert framework.OSLS_VERSION == {**pinned.get("devDependencies", {}), **pinned.get("dependencies", {})}["osls"]


def test_no_credentials_or_profile_reach_the_framework(runs) -> None:
    """The framework resolves ${env:...} from the environment it was given: only the fake credentials."""
    config, _ = runs["env"]
    seen = config["functions"]["hello"]["environment"]
    assert (seen["KEY"], seen["SECRET"], seen["PROFILE"]) == ("testing", "testing", "none")
    assert seen["HOME"] != os.path.expanduser("~") and seen["COLOR"] == "blue"  # other variables pass


def test_print_config_resolves_the_offline_variable_sources(runs) -> None:
    dev, prod = runs["vars_dev"][0], runs["vars_prod"][0]
    assert dev["custom"]["size"] == 5 and dev["custom"]["limits"] == {"rps": 1}  # a whole-value variable keeps its type
    assert (dev["custom"]["rps"], runs["vars_prod"][0]["custom"]["rps"]) == (1, 100)  # a dotted key in the file
    assert dev["provider"]["environment"] == {"STAGE": "dev", "REGION": "ap-northeast-2", "TABLE": "orders-dev-orders"}
    assert prod["custom"]["size"] == 10 and prod["provider"]["environment"]["TABLE"] == "orders-prod-orders"
    assert "service: orders" in dev.text


def test_a_framework_that_does_not_finish_is_stopped_with_a_korean_error(tmp_path: Path) -> None:
    with pytest.raises(framework.FrameworkError, match="초 안에 끝나지 않아 멈췄습니다"):
        framework.package(_service(tmp_path, "slow", HEAD), timeout=0.05)


def test_a_folder_without_serverless_yml(tmp_path: Path) -> None:
    with pytest.raises(framework.FrameworkError, match="serverless.yml이 없습니다"):
        framework.package(tmp_path)


def test_a_wrong_getatt_names_the_resource_the_property_and_the_serverless_yml_line(runs) -> None:
    with LocalCloud() as cloud:
        with pytest.raises(framework.FrameworkError) as caught:
            framework.deploy(cloud, runs["missing_resource"][0])
        print(caught.value)
        message = caught.value.explanation
        assert "리소스 IamRoleLambdaExecution(AWS::IAM::Role)의 속성 Policies" in message
        assert "템플릿에 없는 리소스 JobsQeue를 가리킵니다" in message and "비슷한 논리 ID: JobsQueue" in message
        assert "serverless.yml 11번째 줄: arn: !GetAtt JobsQeue.Arn" in message

        # a wrong attribute of a resource that exists: the attributes it has
        with pytest.raises(framework.FrameworkError) as caught:
            framework.deploy(cloud, runs["missing_attribute"][0])
        print(caught.value)
        message = caught.value.explanation
        assert "Fn::GetAtt JobsQueue.Arnn: 리소스 JobsQueue에는 Arnn 속성(attribute)이 없습니다" in message
        assert "쓸 수 있는 속성: QueueUrl, Arn" in message and "serverless.yml 11번째 줄: arn: !GetAtt JobsQueue.Arnn" in message

        # a Ref to a missing resource
        with pytest.raises(framework.FrameworkError) as caught:
            framework.deploy(cloud, runs["missing_ref"][0])
        print(caught.value)
        assert "리소스 WorkerLambdaFunction(AWS::Lambda::Function)의 속성 Environment" in caught.value.explanation
        assert "serverless.yml 13번째 줄: QUEUE: !Ref Jobs" in caught.value.explanation



def test_a_failed_deploy_is_rolled_back_so_the_fixed_service_deploys_under_its_name(runs) -> None:
    """CloudFormation rolls a failed creation back; moto kept the half-made stack, and DescribeStacks
    on it raised the old failure again at the next deploy."""
    with LocalCloud() as cloud:
        with pytest.raises(framework.FrameworkError):
            framework.deploy(cloud, runs["missing_resource"][0])
        cfn = cloud.client("cloudformation")
        with pytest.raises(cfn.exceptions.ClientError, match="does not exist"):
            cfn.describe_stacks(StackName="orders-dev")
        fixed = runs["fixed"][0]
        stack = framework.deploy(cloud, fixed)
        assert stack.status == "CREATE_COMPLETE" and stack.name == "orders-dev"
        framework.remove(cloud, fixed.service_dir)
        assert cloud.client("cloudformation").list_stacks(StackStatusFilter=["CREATE_COMPLETE"])["StackSummaries"] == []
        with pytest.raises(framework.FrameworkError, match="스택 orders-dev가 없습니다"):
            framework.remove(cloud, fixed)


def test_a_variable_file_that_does_not_parse_is_named_with_its_line_not_serverless_yml(runs) -> None:
    error = _error(runs, "broken_file")  # osls says "Cannot parse" as for serverless.yml itself
    assert error.line == 10 and "${file(./limits.yml):dev}" in error.explanation
    assert "limits.yml의 2번째 줄" in error.explanation and "limits.yml을 고치십시오" in error.explanation
    assert "YAML로 읽을 수 없습니다" not in error.explanation  # serverless.yml is fine


@pytest.mark.parametrize("case, said", [
    ("handler_file_missing", "핸들러 src/handler.hello의 파일 src/handler.py가 패키지(orders.zip)에 없습니다"),
    ("handler_function_missing", "handler.py에 함수 helo가 없습니다. 배포는 되지만 호출하면 Runtime.HandlerNotFound로 실패합니다. hello의 철자"),
    ("node_runtime", "핸들러 index.handler의 런타임(nodejs22.x)은 Python이 아니고, 패키지(orders.zip)에 index.py도 없습니다"),
])
def test_a_function_that_would_fail_at_its_first_invoke_is_said_at_packaging(runs, case: str, said: str) -> None:
    packaged, _ = runs[case]
    assert isinstance(packaged, framework.Package), packaged
    assert [w for w in packaged.warnings if w.startswith("serverless.yml 8번째 줄: ") and said in w], packaged.warnings


def test_a_template_parameter_without_default_or_value_is_named_with_the_fix() -> None:
    """AWS's own SAM quick start step-func-etl declares `pGlueJobName` with no Default (`sam deploy
    --guided` asks for it); moto's bare "Missing parameter" is told in Korean with the two fixes."""
    template = {"Parameters": {"pGlueJobName": {"Type": "String"}},
                "Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Ref": "pGlueJobName"}}}}}
    with LocalCloud() as cloud:
        with pytest.raises(Exception) as caught:
            cloud.deploy_stack(template, name="etl")
        assert "매개변수 pGlueJobName(Type: String)에 Default가 없고" in str(caught.value)
        assert "parameters={'pGlueJobName': 값}" in str(caught.value)
        assert cloud.deploy_stack(template, name="etl", parameters={"pGlueJobName": "jobs"}).status == "CREATE_COMPLETE"


def test_a_misspelt_resource_property_or_type_is_refused_as_cloudformation_does() -> None:
    """moto created the queue without `VisibiltyTimeout` (the default 30 s, no word) and skipped
    `AWS::SQS::Queu` as "made on AWS"; AWS CloudFormation refuses both."""
    queue = {"Type": "AWS::SQS::Queue", "Properties": {"VisibiltyTimeout": 36}}
    with LocalCloud() as cloud:
        with pytest.raises(Exception) as caught:
            cloud.deploy_stack({"Resources": {"Jobs": queue}}, name="typo")
        said = str(caught.value)
        assert "리소스 Jobs(AWS::SQS::Queue)의 Properties에 이 유형에 없는 속성 VisibiltyTimeout이 있습니다" in said
        assert "VisibilityTimeout의 철자 실수라면" in said
        with pytest.raises(Exception, match="Type AWS::SQS::Queu는 AWS CloudFormation에 없는 리소스 유형입니다.*비슷한 유형: AWS::SQS::Queue"):
            cloud.deploy_stack({"Resources": {"Jobs": {"Type": "AWS::SQS::Queu"}}}, name="typo")
        fixed = cloud.deploy_stack({"Resources": {"Jobs": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 36}}}},
                                   name="typo")
        attributes = cloud.client("sqs").get_queue_attributes(QueueUrl=fixed["Jobs"], AttributeNames=["VisibilityTimeout"])
        assert attributes["Attributes"]["VisibilityTimeout"] == "36"


def test_an_interrupted_framework_run_is_ended_with_what_it_started(tmp_path: Path) -> None:
    """A learner interrupts a cell whose osls hangs (a local plugin that never returns): the framework's
    process group is killed, not left spinning a core (it ignores SIGTERM while its loop is blocked)."""
    folder = _service(tmp_path, "spins", HEAD + "plugins:\n  - spin\n")
    (folder / ".serverless_plugins").mkdir()
    (folder / ".serverless_plugins" / "spin.js").write_text(
        "require('fs').writeFileSync('started', String(process.pid));\nclass Spin { constructor() { for (;;) {} } }\n"
        "module.exports = Spin;\n")
    script = (
        "import os, signal, threading, time\nfrom pathlib import Path\nfrom labkit import framework\n"
        "def interrupt():\n    while not Path('started').exists(): time.sleep(0.1)\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "threading.Thread(target=interrupt, daemon=True).start()\n"
        "try:\n    framework.package('.', timeout=60)\nexcept KeyboardInterrupt:\n    print('interrupted')\n")
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", script], cwd=folder, capture_output=True, text=True, timeout=90)
    assert done.stdout.strip() == "interrupted", done.stderr
    pid = int((folder / "started").read_text())
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        raise AssertionError(f"osls (pid {pid}) was left running after the interrupt")


def test_a_lambda_integration_with_mapping_templates_is_said_at_packaging_and_at_the_request(runs) -> None:
    """`integration: lambda` (the framework examples' pynamodb-s3-sigurl): AWS runs its mapping
    templates, the offline API Gateway does not; packaging says so with the line, the request with the fix."""
    import requests

    packaged, _ = runs["lambda_integration"]
    assert [w for w in packaged.warnings if w.startswith("serverless.yml 13번째 줄: http 이벤트의 integration: lambda")]
    with LocalCloud() as cloud:
        stack = framework.deploy(cloud, packaged)
        answer = requests.get(cloud.serve_api(stack["ApiGatewayRestApi"]) + "/x", timeout=30)
    assert answer.status_code == 500 and "GET /x의 통합 유형: AWS" in answer.json()["message"]
    assert "integration: lambda를 빼서" in answer.json()["message"]


def test_an_s3_bucket_name_against_s3s_rules(runs) -> None:
    """The framework example aws-node-upload-to-s3-and-postprocess keeps its placeholder `<your-bucket-name>`."""
    error = _error(runs, "bad_bucket")
    assert error.line == 11 and "S3 버킷 이름의 규칙에 맞지 않습니다" in error.explanation and "자리표시" in error.explanation
    assert "Bucket name must conform to pattern" in error.framework_message
