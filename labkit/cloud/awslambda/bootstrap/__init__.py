"""The worker process's runtime (`labkit_bootstrap.py`, stdlib-only), whose shared pieces the parent imports."""
