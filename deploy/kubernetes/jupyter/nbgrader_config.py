# nbgrader for learners in the single-user image: the course's id and the exchange that every
# learner's pod mounts from the shared volume (values.yaml, singleuser.storage.extraVolumeMounts).
c = get_config()  # noqa: F821 (nbgrader's config loader defines it)
c.CourseDirectory.course_id = "serverless-workshop"
c.Exchange.root = "/srv/nbgrader/exchange"
