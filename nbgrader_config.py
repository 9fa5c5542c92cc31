# nbgrader 명령과 formgrader가 이 과정의 폴더 구조를 쓰도록 grader/config.py 의 설정을 불러옵니다.
# 마감과 늦은 제출 감점은 여기(LateSubmissionPlugin)가 아니라 grader/grading.toml 에 적습니다:
# 채점 도구는 이 파일을 읽지 않습니다.
from grader.config import course_config

get_config().merge(course_config())  # noqa: F821  (get_config is injected by traitlets)
