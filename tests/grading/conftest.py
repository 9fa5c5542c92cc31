import pytest

from grader.release import release_in_copy


@pytest.fixture(scope="session")
def lab00_course(tmp_path_factory):
    """A throw-away course tree with lab00 released, so grading never touches grader/work/."""
    return release_in_copy("lab00", tmp_path_factory.mktemp("course"))
