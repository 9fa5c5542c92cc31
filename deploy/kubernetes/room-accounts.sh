#!/bin/sh
# Add the room's accounts to this pod's passwd (values.yaml hub.extraConfig 10-learner-uid sets
# COURSE_ACCOUNTS="name:uid ..."): nbgrader names a submission after the running uid's account,
# and ./course grade collect in the instructor's pod checks each submission's owner the same way.
# The image leaves /etc/passwd writable by group 100, which every server has (fsGid).
set -eu
PASSWD="${COURSE_PASSWD:-/etc/passwd}"
[ -n "${COURSE_ACCOUNTS:-}" ] || exit 0
if [ ! -w "$PASSWD" ]; then
  echo "[경고] $PASSWD 에 쓸 수 없어 강의실 계정을 더하지 못했습니다. nbgrader 제출이 실패합니다." >&2
  exit 0
fi
for pair in $COURSE_ACCOUNTS; do
  name="${pair%%:*}" uid="${pair##*:}"
  case "$name:$uid" in
    *[!a-z0-9._:-]*|:*|*:) echo "[경고] 계정 '$pair'을(를) 건너뜁니다." >&2; continue ;;
  esac
  grep -q "^[^:]*:[^:]*:$uid:" "$PASSWD" || grep -q "^$name:" "$PASSWD" \
    || echo "$name:x:$uid:100:$name:/home/jovyan:/bin/bash" >> "$PASSWD"
done
