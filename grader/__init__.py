"""채점 파이프라인: nbgrader의 과정 모델(원본, 배포본, 제출물, 성적부) 위에 만든 도구입니다.

`solutions/<lab>/` 이 강사용 원본, `labs/<lab>/` 이 학생용 배포본입니다.
"""
import warnings

# nbgrader 0.9.6 on SQLAlchemy 2.1 warns about its own session use on every gradebook access;
# the warnings say nothing about our data and would drown the grader's own messages.
warnings.filterwarnings("ignore", module=r"nbgrader(\.|$)")
