"""``/docs`` and ``/redoc`` render in a real browser with no internet.

``bazaar serve`` runs on a free port; headless Chromium loads each page with every outside
name resolving nowhere and every non-local request sent to a dead proxy, lets the scripts run
(``--virtual-time-budget``) and dumps the DOM, which must hold the rendered operations: so the
JavaScript and CSS came from the service itself. Chromium is provisioned by the test command
(``scripts/provision.sh``, as root on Debian); without it the test skips, or fails under CI=true.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests import conftest
from tests.serving import free_port, serve


def _installed() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium() -> str:
    found = _installed()
    if found is None:
        message = "chromium is not installed (bash scripts/check.sh installs it as root on Debian)"
        if conftest.IN_CI:
            pytest.fail(message + "; CI=true requires the browser test")
        pytest.skip(message)
    return found


def render(chromium: str, url: str) -> str:
    """The DOM of ``url`` after its scripts ran, with the outside network blocked."""
    with tempfile.TemporaryDirectory(prefix="bazaar-chromium-") as profile:
        done = subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                f"--user-data-dir={profile}",
                # Offline: names other than 127.0.0.1 do not resolve, and anything not local
                # goes to a proxy that is not there.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                f"--proxy-server=http://127.0.0.1:{free_port()}",
                "--proxy-bypass-list=127.0.0.1",
                "--virtual-time-budget=20000",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_docs_render_offline_in_a_real_browser(chromium: str, tmp_path: Path) -> None:
    with serve(tmp_path) as server:
        swagger = render(chromium, f"{server.base_url}/docs")
        redoc = render(chromium, f"{server.base_url}/redoc")
        served = server.logs()

    # Swagger UI built one block per operation from /openapi.json.
    assert 'class="swagger-ui' in swagger
    assert swagger.count("opblock-summary-path") >= 10
    assert 'data-path="/api/v1/users/me"' in swagger
    # ReDoc rendered its three panes and the operations.
    assert "api-content" in redoc
    assert 'id="operation/read_me_api_v1_users_me_get"' in redoc or "/api/v1/users/me" in redoc
    # And the assets did come from the service.
    for asset in (
        "/static/docs/swagger-ui-bundle.js",
        "/static/docs/swagger-ui.css",
        "/static/docs/redoc.standalone.js",
    ):
        assert asset in served
