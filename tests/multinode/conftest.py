"""The multinode and fault tests start real processes against PostgreSQL: mandatory under CI, else skipped without it."""
import os

import pytest

from trading import testing

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def postgres():
    """PostgreSQL must answer on the shared server; under CI=true its absence is a failure, not a skip."""
    if not testing.postgres_available():
        if CI:
            pytest.fail("CI=true: PostgreSQL must answer on 127.0.0.1:5432 (user postgres)")
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")
    return testing.PG_ADMIN_URL
