from tests.distribution.conftest import quota_policies  # noqa: F401 (the fixture, shared)
