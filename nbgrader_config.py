# nbgrader 명령과 formgrader가 이 과정의 폴더 구조를 쓰도록 grader/config.py 의 설정을 불러옵니다.
from grader.config import course_config

get_config().merge(course_config())  # noqa: F821  (get_config is injected by traitlets)
