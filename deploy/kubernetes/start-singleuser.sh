#!/bin/sh
# A learner's server in its pod (values.yaml singleuser.cmd): the course's fake AWS credentials
# first, as ./course exports them, so a lab can never reach real AWS, even on a cluster that
# hands pods a cloud role (EKS IRSA, ECS task roles). Then JupyterHub's single-user server.
set -eu
COURSE="$(cd "$(dirname "$0")/../.." && pwd)"   # /opt/course in the image
eval "$("$COURSE/.venv/bin/python" -I -S -c 'import runpy, shlex, sys
env = runpy.run_path(sys.argv[1])["fake_aws_environment"]()
print("\n".join(f"export {k}={shlex.quote(v)}" for k, v in env.items()))' "$COURSE/labkit/cloud/core/credentials.py")"
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE \
  AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_AUTHORIZATION_TOKEN
"$COURSE/deploy/kubernetes/room-accounts.sh"
exec jupyterhub-singleuser "$@"
