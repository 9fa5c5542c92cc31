"""CloudFormation: deploy a template (plain, SAM, or what the Serverless Framework packaged).

    deploy.py      CloudFormation.deploy (`LocalCloud.deploy_stack`) in phases, and Stack
    template.py    load_template: a dict, JSON/YAML text or a file
    packaging.py   what the tools do first: `sam package`, the SAM transform, Serverless ZIPs
    resources.py   the resource types moto lacks or gets wrong (API Gateway's: apigateway/resources.py)
    patches.py     moto patches (the parser's resource types, S3 bucket notifications) and PATCHES

moto runs CloudFormation synchronously and knows most resources the course uses; this package
closes the gaps that would otherwise be silently skipped or fail (resources.py; state machines
land in the executing backend, see `stepfunctions.py`). `deploy()` also does what the tools would
do before CloudFormation:
- `Transform: AWS::Serverless-2016-10-31` is applied offline with aws-sam-translator, after
  packaging local `CodeUri`/`ContentUri` folders into a staging bucket (as `sam package` does);
- for a Serverless Framework template (`.serverless/cloudformation-template-update-stack.json`),
  `artifacts=".serverless"` uploads the packaged ZIPs the template names by S3Key;
- resources the offline cloud cannot create are reported (a Korean warning and `Stack.skipped`)
  instead of vanishing behind CREATE_COMPLETE.
"""

from __future__ import annotations

from .deploy import CloudFormation, Stack
from .template import load_template

__all__ = ["CloudFormation", "Stack", "load_template"]
