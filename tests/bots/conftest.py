from tests.bots.world import client, sandbox  # noqa: F401 - fixtures
