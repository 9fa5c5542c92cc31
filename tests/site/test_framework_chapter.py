"""Chapter 6 (Serverless Framework와 AWS SAM): the code on the pages is the code that runs.

The service files of 6.2 are read from the page, packaged by the real framework (osls 3.77.1,
offline, once per module), and the page's own `deploy_and_call.py` deploys them on the offline
cloud and calls every event through its real path: its output must be the page's. Every
"생성됨:" excerpt must be part of what osls really generated, and the seed's mistakes the page
lists must fail the way the page says. The SAM template of 6.5 deploys through aws-sam-translator
and answers; every workflow of 6.4 passes actionlint, and the seed's workflow's real problems
(which actionlint does not see) are found by a page-level check that passes the corrected one.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import textwrap
import zipfile
from pathlib import Path

import pytest
import requests
import yaml
from site_testkit import DOCS, REPO

CHAPTER = DOCS / "framework"
PAGES = ["index.md", "serverless-yml.md", "plugins-and-local.md", "cicd.md", "sam.md"]
FENCE = re.compile(r'^( *)```(\w+) title="([^"]+)"\n(.*?)^\1```', re.M | re.S)


def _page(name: str) -> str:
    return (CHAPTER / name).read_text(encoding="utf-8")


def _blocks(name: str) -> dict[str, str]:
    """Titled code blocks of a page: title -> text (dedented by the fence's indent)."""
    found = {}
    for indent, _lang, title, body in FENCE.findall(_page(name)):
        found[title] = "".join(line[len(indent):] + "\n" for line in body.splitlines())
    return found


def _untitled_text_blocks(name: str) -> list[str]:
    return [textwrap.dedent(b) for b in re.findall(r"^ *```text\n(.*?)^ *```", _page(name), re.M | re.S)]


def _write_service(folder: Path, blocks: dict[str, str], serverless_yml: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for title, text in blocks.items():
        if re.fullmatch(r"[\w./-]+\.(yml|json|py)", title):
            path = folder / title
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if serverless_yml is not None:
        (folder / "serverless.yml").write_text(serverless_yml, encoding="utf-8")
    return folder


def _subset(part, whole) -> bool:
    """`part` is contained in `whole`: dict keys recursively, each list item matches some item."""
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(k in whole and _subset(v, whole[k]) for k, v in part.items())
    if isinstance(part, list):
        return isinstance(whole, list) and all(any(_subset(p, w) for w in whole) for p in part)
    return part == whole


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory):
    """6.2's files from the page; the page's deploy_and_call.py packages them (osls) and calls every event."""
    if shutil.which("node") is None:
        pytest.skip("Node.js가 없어 osls를 실행할 수 없습니다")
    blocks = _blocks("serverless-yml.md")
    folder = _write_service(tmp_path_factory.mktemp("my-api"), blocks)
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out), pytest.warns(UserWarning, match="건너뜁니다"):
            exec(compile(blocks["deploy_and_call.py"], "deploy_and_call.py", "exec"), {"__name__": "__main__"})
    finally:
        os.chdir(cwd)
    template = json.loads((folder / ".serverless" / "cloudformation-template-update-stack.json").read_text())
    return folder, template, out.getvalue()


# --- the chapter's shape ---------------------------------------------------------------------

def test_chapter_is_in_the_nav_after_chapter_5_with_every_page() -> None:
    nav = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8").split("\ntheme:", 1)[0])["nav"]
    titles = [next(iter(entry)) if isinstance(entry, dict) else entry for entry in nav]
    assert titles.index("6장 Serverless Framework") == titles.index("5장 장단점과 사용 사례") + 1
    chapter = next(e["6장 Serverless Framework"] for e in nav if isinstance(e, dict) and "6장 Serverless Framework" in e)
    listed = [item if isinstance(item, str) else next(iter(item.values())) for item in chapter]
    assert listed == [f"framework/{name}" for name in PAGES]


@pytest.mark.parametrize("name", PAGES)
def test_each_page_ends_with_a_summary_and_an_applied_question_and_dates_its_sources(name: str) -> None:
    text = _page(name)
    h2 = re.findall(r"^## (.+)$", text, re.M)
    assert h2[-2:] == ["정리", "스스로 점검하기"], name
    assert re.search(r'^\?\?\? example "적용 문제: ', text, re.M), name
    for paragraph in re.split(r"\n\s*\n", text):
        if "](http" in paragraph and not paragraph.lstrip().startswith("```"):
            assert re.search(r"20\d\d년 \d+월", paragraph), f"{name}: 날짜 없는 출처: {paragraph[:100]}"


def test_licence_facts_are_dated_and_name_the_pinned_version() -> None:
    index = " ".join(_page("index.md").split())
    package = json.loads((REPO / "package.json").read_text())["dependencies"]["osls"]
    assert f"osls {package}" in index and "2026년 12월 2일" in index
    for fact in ("200만 달러", "라이선스 키", "2023년 10월 26일", "frameworkVersion", "oss-serverless/osls"):
        assert fact in index, fact


# --- 6.2: packaged by osls, deployed and called as the page shows ------------------------------

def test_the_page_service_deploys_and_answers_as_its_output_block_says(service) -> None:
    _folder, _template, printed = service
    shown = _blocks("serverless-yml.md")["출력"]
    assert printed == shown, f"페이지의 출력과 실제 출력이 다릅니다:\n{printed}"
    for line in ("POST /users 201", "OPTIONS /users 200 OPTIONS,POST", "DLQ: ['o-2']", "['INSERT kim@example.com']",
                 "00:01 UTC ['보고서 daily']", "'stage': 'dev'"):
        assert line in printed, line


def test_every_generated_excerpt_is_part_of_what_osls_generated(service) -> None:
    _folder, template, _printed = service
    excerpts = {t.split(": ", 1)[1]: b for t, b in _blocks("serverless-yml.md").items() if t.startswith("생성됨: ")}
    assert len(excerpts) >= 9
    wrong = [name for name, text in excerpts.items()
             if not _subset(json.loads(text), template["Resources"].get(name))]
    assert wrong == [], f"패키징한 템플릿과 다른 발췌: {wrong}"


def test_excerpt_check_catches_a_wrong_value(service) -> None:
    _folder, template, _printed = service
    text = _blocks("serverless-yml.md")["생성됨: ProcessOrdersEventSourceMappingSQSOrdersQueue"]
    assert _subset(json.loads(text), template["Resources"]["ProcessOrdersEventSourceMappingSQSOrdersQueue"])
    wrong = json.loads(text.replace('"BatchSize": 5', '"BatchSize": 10'))
    assert not _subset(wrong, template["Resources"]["ProcessOrdersEventSourceMappingSQSOrdersQueue"])


def test_zip_listing_and_stage_variables_are_as_shown(service) -> None:
    import zipfile

    folder, _template, _printed = service
    names = sorted(zipfile.ZipFile(folder / ".serverless" / "my-api.zip").namelist())
    assert names == _blocks("serverless-yml.md")["unzip -Z1 .serverless/my-api.zip"].split()
    from labkit import framework

    resolved = framework.print_config(folder, stage="prod")
    assert resolved["custom"]["tableName"] == "my-api-prod-table"
    assert resolved["provider"]["environment"] == {"TABLE_NAME": "my-api-prod-table", "STAGE": "prod"}
    assert resolved["functions"]["processOrders"]["events"][0]["sqs"]["batchSize"] == 10
    shown = _blocks("serverless-yml.md")["osls print --stage prod (일부)"]
    assert "tableName: my-api-prod-table" in shown and "batchSize: 10" in shown


def test_the_seeds_schedule_without_scheduler_mode_fails_as_the_page_says(service, tmp_path: Path) -> None:
    folder, _template, _printed = service
    seed_like = (folder / "serverless.yml").read_text().replace("          method: scheduler\n", "")
    from labkit import framework

    broken = _write_service(tmp_path / "seed", _blocks("serverless-yml.md"), seed_like)
    message = 'Cannot setup "schedule" event: "timezone" is only supported with "scheduler"'
    with pytest.raises(framework.FrameworkError, match=re.escape(message)):
        framework.package(broken)
    assert message in " ".join(_page("serverless-yml.md").split())


def test_the_seeds_undefined_cognito_authorizer_is_refused_on_deploy_as_the_page_says(service, tmp_path: Path) -> None:
    from labkit import framework
    from labkit.cloud import LocalCloud

    folder, _template, _printed = service
    seed_like = (folder / "serverless.yml").read_text().replace(
        "          method: get\n          cors: true\n",
        "          method: get\n          cors: true\n          authorizer:\n            type: COGNITO_USER_POOLS\n"
        "            authorizerId: !Ref CognitoAuthorizer\n", 1)
    broken = _write_service(tmp_path / "cognito", _blocks("serverless-yml.md"), seed_like)
    assert framework.package(broken).template  # the framework does not check it: packaging succeeds
    shown = next(b for b in _untitled_text_blocks("serverless-yml.md") if "CognitoAuthorizer" in b)
    with LocalCloud() as cloud, pytest.raises(framework.FrameworkError) as failed:
        framework.deploy(cloud, broken)
    said = failed.value.explanation
    assert shown.strip() == f"FrameworkError: {said}", f"페이지의 메시지와 실제 메시지가 다릅니다:\n{said}"
    for piece in ("ApiGatewayMethodUsersIdVarGet", "AuthorizerId", "CognitoAuthorizer", "serverless.yml 71번째 줄"):
        assert piece in said, piece


# --- 6.5: the SAM template deploys through aws-sam-translator and answers -----------------------

def test_the_sam_template_deploys_and_answers_as_its_output_block_says(tmp_path: Path) -> None:
    from labkit.cloud import LocalCloud

    blocks = _blocks("sam.md")
    for title in ("template.yaml", "src/handlers/users.py"):
        (tmp_path / title).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / title).write_text(blocks[title], encoding="utf-8")
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(blocks["deploy_sam.py"], "deploy_sam.py", "exec"), {"__name__": "__main__"})
    finally:
        os.chdir(cwd)
    assert out.getvalue() == blocks["출력"]
    assert "GET /users/42 200" in out.getvalue() and "GET /users/7 404" in out.getvalue()

    with LocalCloud() as cloud:
        stack = cloud.deploy_stack(tmp_path / "template.yaml", name="users-sam")
        excerpt = json.loads(blocks["변환됨: GetUserFunctionRole"])
        assert _subset(excerpt, stack.template["Resources"]["GetUserFunctionRole"])
        assert len(stack.resources) == 7
        # The seed's template has no CodeUri: as `sam package` does, its whole folder becomes the code.
        seed = tmp_path / "seed.yaml"
        seed.write_text(blocks["template.yaml (원본 문서)"], encoding="utf-8")
        seeded = cloud.deploy_stack(seed, name="seed-sam")
        cloud.client("dynamodb").put_item(TableName=seeded["UsersTable"], Item={"id": {"S": "42"}, "name": {"S": "김서버"}})
        assert requests.get(f"{seeded.outputs['ApiUrl']}/users/42").status_code == 200
        code = seeded.template["Resources"]["GetUserFunction"]["Properties"]["Code"]
        body = cloud.client("s3").get_object(Bucket=code["S3Bucket"], Key=code["S3Key"])["Body"].read()
        assert {"seed.yaml", "template.yaml", "src/handlers/users.py"} <= set(zipfile.ZipFile(io.BytesIO(body)).namelist())
    text = " ".join(_page("sam.md").split())
    assert "그래도 배포는 됩니다" in text and "템플릿이 있는 폴더 전체를 함수의 코드로" in text
    lines = len([line for line in blocks["template.yaml"].splitlines() if line.strip()])
    assert f"SAM 템플릿은 {lines}줄로 리소스 7개" in text


def test_the_line_and_resource_counts_of_the_comparison_are_real(service) -> None:
    _folder, template, _printed = service
    lines = len([line for line in _blocks("serverless-yml.md")["serverless.yml"].splitlines() if line.strip()])
    text = " ".join(_page("sam.md").split())
    assert f"빈 줄을 빼고 {lines}줄이고, 패키징한 템플릿에는 리소스가 {len(template['Resources'])}개" in text


# --- 6.4: workflows pass actionlint; the seed's problems are found by the page-level check ----

def workflow_problems(text: str) -> list[str]:
    """What actionlint does not check: how the workflow reaches AWS and what it runs (Korean)."""
    workflow = yaml.safe_load(text)
    problems = []
    if "permissions" not in workflow:
        problems.append("워크플로에 permissions가 없습니다.")
    for name, job in workflow["jobs"].items():
        steps = job.get("steps", [])
        runs = " ".join(step.get("run", "") for step in steps)
        aws = [s for s in steps if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials@")]
        for step in aws:
            if "aws-access-key-id" in step.get("with", {}):
                problems.append(f"{name}: 장기 액세스 키를 씁니다(role-to-assume으로 바꾸십시오).")
            elif (job.get("permissions") or workflow.get("permissions") or {}).get("id-token") != "write":
                problems.append(f"{name}: role-to-assume을 쓰는데 id-token: write 권한이 없습니다.")
        if "npx serverless" in runs:
            problems.append(f"{name}: 고정하지 않은 npx serverless는 v4를 받습니다.")
        if "deploy" in runs:
            if "environment" not in job:
                problems.append(f"{name}: 배포 작업에 environment가 없습니다.")
            if "concurrency" not in job and "concurrency" not in workflow:
                problems.append(f"{name}: 배포가 겹치지 않게 하는 concurrency가 없습니다.")
    return problems


@pytest.fixture(scope="module")
def linted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list]:
    """actionlint's findings for every workflow on the page, the seed's and a typo variant (one run)."""
    from labkit.actionlint import lint

    blocks = _blocks("cicd.md")
    workflows = {t: b for t, b in blocks.items() if t.startswith(".github/workflows/")}
    workflows["needs typo"] = blocks[".github/workflows/deploy.yml"].replace("needs: test\n", "needs: tests\n")
    folder = tmp_path_factory.mktemp("workflows")
    paths = {}
    for n, (title, text) in enumerate(workflows.items()):
        paths[title] = folder / f"w{n}" / "deploy.yml"
        paths[title].parent.mkdir()
        paths[title].write_text(text, encoding="utf-8")
    findings = lint(*paths.values())
    return {title: [f for f in findings if Path(f.file).resolve() == path.resolve()] for title, path in paths.items()}


def test_every_workflow_on_the_cicd_page_passes_actionlint(linted) -> None:
    on_page = [t for t in linted if t.startswith(".github/workflows/")]
    assert len(on_page) == 3
    assert {t: linted[t] for t in on_page} == {t: [] for t in on_page}


def test_actionlint_finds_a_needs_typo_in_the_corrected_workflow_as_the_page_shows(linted) -> None:
    findings = linted["needs typo"]
    shown = next(b for b in _untitled_text_blocks("cicd.md") if "job-needs" in b)
    assert [f.kind for f in findings] == ["job-needs", "job-needs"]
    for f in findings:
        assert f"deploy.yml:{f.line}:{f.column}: {f.message} [{f.kind}]" in shown


def test_the_seeds_workflow_passes_actionlint_but_not_the_page_level_check(linted) -> None:
    seed = _blocks("cicd.md")[".github/workflows/deploy.yml (원본 문서)"]
    assert linted[".github/workflows/deploy.yml (원본 문서)"] == []
    problems = workflow_problems(seed)
    assert "워크플로에 permissions가 없습니다." in problems
    assert [p for p in problems if "장기 액세스 키" in p] == [
        "deploy-dev: 장기 액세스 키를 씁니다(role-to-assume으로 바꾸십시오).",
        "deploy-prod: 장기 액세스 키를 씁니다(role-to-assume으로 바꾸십시오)."]
    assert any("npx serverless" in p for p in problems)
    assert "deploy-dev: 배포 작업에 environment가 없습니다." in problems


def test_the_corrected_workflow_passes_the_page_level_check_and_the_check_can_fail() -> None:
    fixed = _blocks("cicd.md")[".github/workflows/deploy.yml"]
    assert workflow_problems(fixed) == []
    no_token = fixed.replace("      id-token: write\n", "")
    assert workflow_problems(no_token) == [
        "deploy-dev: role-to-assume을 쓰는데 id-token: write 권한이 없습니다.",
        "deploy-prod: role-to-assume을 쓰는데 id-token: write 권한이 없습니다."]
    no_env = fixed.replace("    environment: production\n", "")
    assert workflow_problems(no_env) == ["deploy-prod: 배포 작업에 environment가 없습니다."]


def test_the_courses_own_workflow_on_the_page_is_the_repositorys(tmp_path: Path) -> None:
    shown = _blocks("cicd.md")[".github/workflows/course.yml"]
    assert shown == (REPO / ".github" / "workflows" / "course.yml").read_text(encoding="utf-8")
    assert "run: .ci/run" in shown and (REPO / ".ci" / "run").is_file()
    assert workflow_problems(shown) == []
