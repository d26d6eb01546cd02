"""The service's OpenAPI document makes a Python client that works and reads well.

openapi-python-client generates a package (``bazaar_client``) from ``app.openapi()``, offline
(``--path`` to a file; ``post_hooks: []`` so ruff is not run over the output). The tests then
* check the names a reader of the client sees: one module per operation, named after the clean
  operation id (``users-sign-up`` → ``api/users/users_sign_up.py``), and the login form body
  as ``LoginForm`` rather than an anonymous ``Body_...`` model;
* drive the app in-process through the generated functions only (their ``asyncio_detailed``
  variants, on an ``httpx.ASGITransport``): sign up, log in with the form, create an item with
  the bearer token and read it back, checking the statuses and the parsed models.

Generation takes about two seconds: it runs once per distinct document in this module.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import subprocess
import sys
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

PACKAGE = "bazaar_client"
# operationId in the document -> the module openapi-python-client makes of it.
OPERATIONS = {
    "users-sign-up": "users_sign_up",
    "auth-issue-token": "auth_issue_token",
    "items-create": "items_create",
    "items-read": "items_read",
}
CONFIG = {
    "project_name_override": "bazaar-client",
    "package_name_override": PACKAGE,
    "post_hooks": [],
}


def generate(document: dict[str, Any], workdir: Path) -> Path:
    """Generate the client project for ``document`` under ``workdir``; return the project dir."""
    spec = workdir / "openapi.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    config = workdir / "config.json"
    config.write_text(json.dumps(CONFIG), encoding="utf-8")
    project = workdir / "bazaar-client"
    command = [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(spec)]
    command += ["--config", str(config), "--meta", "uv", "--output-path", str(project)]
    command += ["--fail-on-warning"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"generation failed:\n{done.stdout}\n{done.stderr}"
    assert (project / PACKAGE / "__init__.py").is_file(), sorted(p.name for p in project.iterdir())
    return project


@pytest.fixture(scope="module")
def generated_projects(tmp_path_factory: pytest.TempPathFactory) -> Callable[[dict[str, Any]], Path]:
    """``generated_projects(document)``: the generated project dir, made once per document."""
    projects: dict[str, Path] = {}

    def project_for(document: dict[str, Any]) -> Path:
        key = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
        if key not in projects:
            projects[key] = generate(document, tmp_path_factory.mktemp("generated_client"))
        return projects[key]

    return project_for


class GeneratedClient:
    """The imported package, with its operation modules found by walking ``api/``."""

    def __init__(self, project: Path) -> None:
        self.root = project / PACKAGE
        self.package = importlib.import_module(PACKAGE)
        self.models = importlib.import_module(f"{PACKAGE}.models")
        self.operations = {
            path.stem: ".".join(path.relative_to(project).with_suffix("").parts)
            for path in sorted((self.root / "api").rglob("*.py"))
            if path.stem != "__init__"
        }

    def operation(self, name: str) -> ModuleType:
        assert name in self.operations, f"no generated module {name!r}; have {sorted(self.operations)}"
        return importlib.import_module(self.operations[name])


@pytest.fixture
def generated(app: Any, generated_projects: Callable[[dict[str, Any]], Path]) -> Iterator[GeneratedClient]:
    """The client generated from this app's document, imported for the test and unloaded after."""
    assert PACKAGE not in sys.modules, f"{PACKAGE} is already imported from elsewhere"
    project = generated_projects(app.openapi())
    sys.path.insert(0, str(project))
    importlib.invalidate_caches()
    try:
        yield GeneratedClient(project)
    finally:
        sys.path.remove(str(project))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


async def test_generated_names_are_the_operation_ids(app: Any, generated: GeneratedClient) -> None:
    document = app.openapi()
    operations = {op["operationId"]: op for path in document["paths"].values() for op in path.values()}
    tags = {operation_id: op["tags"][0] for operation_id, op in operations.items()}
    assert set(OPERATIONS) <= set(tags), f"missing from the document: {set(OPERATIONS) - set(tags)}"
    for operation_id, module in OPERATIONS.items():
        assert module in generated.operations, f"{operation_id} did not become module {module}"
        assert generated.operations[module] == f"{PACKAGE}.api.{tags[operation_id]}.{module}"
    # Every operation has a module named after its id, and nothing else is generated.
    assert sorted(generated.operations) == sorted(i.replace("-", "_") for i in tags)

    form = operations["auth-issue-token"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
    assert form["schema"] == {"$ref": "#/components/schemas/LoginForm"}
    models = generated.models
    model_files = sorted(p.name for p in (generated.root / "models").glob("*.py"))
    assert "login_form.py" in model_files, model_files
    hints = typing.get_type_hints(generated.operation("auth_issue_token").asyncio_detailed)
    assert hints["body"] is models.LoginForm
    assert not [name for name in models.__all__ if name.startswith("Body")], models.__all__


async def test_generated_client_drives_the_service(
    app: Any, client: httpx.AsyncClient, generated: GeneratedClient
) -> None:
    models, package = generated.models, generated.package
    sign_up = generated.operation("users_sign_up")
    issue_token = generated.operation("auth_issue_token")
    create_item = generated.operation("items_create")
    read_item = generated.operation("items_read")
    connection: dict[str, Any] = {"base_url": "http://test", "raise_on_unexpected_status": True}

    async with package.Client(**connection, httpx_args={"transport": httpx.ASGITransport(app=app)}) as anon:
        signed_up = await sign_up.asyncio_detailed(
            client=anon,
            body=models.SignUpIn(email="ada@example.com", username="ada", password="password-123"),
        )
        assert signed_up.status_code == 201, signed_up.content
        user = signed_up.parsed
        assert isinstance(user, models.UserPrivateOut)
        assert (user.username, user.email, user.is_active) == ("ada", "ada@example.com", True)

        login = await issue_token.asyncio_detailed(
            client=anon, body=models.LoginForm(username="ada", password="password-123")
        )
        assert login.status_code == 200, login.content
        token = login.parsed
        assert isinstance(token, models.TokenOut)
        assert token.token_type.lower() == "bearer" and token.access_token

    async with package.AuthenticatedClient(
        **connection, token=token.access_token, httpx_args={"transport": httpx.ASGITransport(app=app)}
    ) as ada:
        created = await create_item.asyncio_detailed(
            client=ada, body=models.ItemIn(title="Lamp", price="19.90", tags=["home"])
        )
        assert created.status_code == 201, created.content
        item = created.parsed
        assert isinstance(item, models.ItemOut)
        assert (item.title, item.price, item.tags) == ("Lamp", "19.90", ["home"])
        assert isinstance(item.owner, models.OwnerOut)
        assert (item.owner.id, item.owner.username) == (user.id, "ada")

        read = await read_item.asyncio_detailed(item.id, client=ada)
        assert read.status_code == 200, read.content
        assert isinstance(read.parsed, models.ItemOut)
        assert read.parsed == item
        assert (read.parsed.title, read.parsed.price, read.parsed.owner.username) == ("Lamp", "19.90", "ada")

    # The parsed model loses nothing: it serialises back to the body the service sends.
    raw = await client.get(f"/api/v1/items/{item.id}")
    assert raw.status_code == 200 and read.parsed.to_dict() == raw.json()
