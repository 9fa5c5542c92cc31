"""강사용 채점 명령: `python -m grader <명령>` (보통 `./course release` 로 부릅니다)."""
from __future__ import annotations

import argparse
import sys

from .config import lab_ids
from .release import ReleaseError, release


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="grader", description="과정의 채점 도구입니다.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_release = sub.add_parser("release", help="solutions/에서 labs/를 다시 만들고 검사합니다.")
    p_release.add_argument("labs", nargs="*", help="실습 이름 (생략하면 전부)")
    args = parser.parse_args(argv)

    if args.command == "release":
        labs = args.labs or lab_ids()
        unknown = sorted(set(labs) - set(lab_ids()))
        if unknown:
            print(f"[오류] solutions/에 없는 실습입니다: {', '.join(unknown)}", file=sys.stderr)
            return 2
        for lab in labs:
            try:
                out = release(lab)
            except ReleaseError as exc:
                print(f"[오류] {exc}", file=sys.stderr)
                return 1
            print(f"✔ {lab}: 배포본을 만들고 검사했습니다 -> {out.relative_to(out.parents[1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
