"""docker-compose.yml cannot be run here (no Docker engine), so it is kept honest by checks:
it validates against the Compose specification's JSON schema, runs every process the Procfile runs with
the same command, gives each service its own database, and health-checks what others wait on."""
from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml

from pasar import config

ROOT = config.ROOT
SCHEMA_CACHE = ROOT / "var" / "cache" / "compose_spec.json"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def compose_schema() -> dict:
    """The Compose specification schema as shipped inside docker-compose 1.29.2 on PyPI."""
    if not SCHEMA_CACHE.exists():
        SCHEMA_CACHE.parent.mkdir(parents=True, exist_ok=True)
        target = SCHEMA_CACHE.parent / "wheels"
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "docker-compose==1.29.2",
                        "-d", str(target)], check=True, capture_output=True)
        wheel = next(target.glob("docker_compose-1.29.2-*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            SCHEMA_CACHE.write_bytes(zf.read("compose/config/compose_spec.json"))
    return json.loads(SCHEMA_CACHE.read_text())


def procfile() -> dict[str, list[str]]:
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, command = line.partition(":")
            entries[name.strip()] = shlex.split(command)
    return entries


def test_compose_file_follows_the_compose_specification(compose, compose_schema):
    jsonschema.validate(compose, compose_schema)


def test_the_schema_check_would_catch_a_mistake(compose, compose_schema):
    broken = json.loads(json.dumps(compose))
    broken["services"]["gateway"]["depends_on"] = {"rabbitmq": {"condition": "whenever"}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, compose_schema)


def test_every_procfile_process_has_a_compose_service_running_the_same_command(compose):
    services = compose["services"]
    for name, command in procfile().items():
        assert name in services, f"Procfile process {name!r} has no compose service"
        assert services[name]["command"] == command, name


def test_every_app_has_its_own_database_and_the_broker(compose):
    created = set(re.findall(r"CREATE DATABASE (\w+);", (ROOT / "deploy/postgres/init.sql").read_text()))
    template = compose["x-app"]["environment"]["DATABASE_URL"]
    for app in config.ALL_APPS:
        assert template.replace("{service}", app).rsplit("/", 1)[1] in created
    assert "@rabbitmq:5672" in compose["x-app"]["environment"]["AMQP_URL"]


def test_what_others_wait_on_is_health_checked(compose):
    services = compose["services"]
    for name in ("rabbitmq", "postgres", "gateway", *config.SERVICES):
        assert "healthcheck" in services[name], name
    for app in config.ALL_APPS:
        test = " ".join(services[app]["healthcheck"]["test"])
        assert f":{config.SERVICE_PORTS[app]}/healthz" in test
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"


def test_only_the_gateway_can_sign_tokens_and_every_app_can_verify_them(compose):
    services = compose["services"]
    for name, service in services.items():
        if name in ("rabbitmq", "postgres"):
            continue
        environment = service.get("environment", {})
        assert "jwt_public_key" in service["secrets"] and environment["JWT_PUBLIC_KEY_FILE"], name
        assert environment["PASAR_ENV"] == "production", name  # refuses to start on the development secret
        signs = "jwt_private_key" in service["secrets"] or "JWT_PRIVATE_KEY_FILE" in environment
        assert signs == (name == "gateway"), name
    assert compose["secrets"]["jwt_private_key"]["file"].startswith("./secrets/")


def test_every_setting_the_code_reads_is_documented_in_env_example():
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    read = set()
    for path in [*ROOT.glob("pasar/**/*.py"), *ROOT.glob("services/**/*.py"), *ROOT.glob("gateway/**/*.py")]:
        read |= set(re.findall(r"""(?:setting|int_setting|_env|_int|environ\.get|getenv)\(\s*f?["']([A-Z][A-Z0-9_]+)["']""",
                               path.read_text()))
    missing = sorted(read - documented)
    assert not missing, f"add these to .env.example: {missing}"


def test_workers_are_health_checked_and_every_process_restarts(compose):
    services = compose["services"]
    for app in config.ALL_APPS:
        worker = services[f"{app}-worker"]
        assert worker["healthcheck"]["test"] == ["CMD", "pasar", "health", "worker", app]
    for name, service in services.items():
        if name != "migrate":
            assert service.get("restart", compose["x-app"]["restart"]) == "unless-stopped", name


def test_compose_takes_database_and_broker_credentials_from_dotenv_not_the_file():
    text = (ROOT / "docker-compose.yml").read_text()
    assert "pasar:pasar@" not in text and "guest:guest" not in text and "POSTGRES_PASSWORD: pasar" not in text
    assert "${POSTGRES_PASSWORD:?" in text and "${RABBITMQ_PASSWORD:?" in text
    documented = (ROOT / ".env.example").read_text()
    for name in ("POSTGRES_USER", "POSTGRES_PASSWORD", "RABBITMQ_USER", "RABBITMQ_PASSWORD"):
        assert f"# {name}=" in documented, name


def test_the_image_installs_the_hashed_lock_and_runs_as_a_user_of_its_own():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    assert "RUN pip install --require-hashes -r requirements.lock" in lines
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")


def _pins(lock: Path) -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s\\;]+)", lock.read_text(), re.M)
    return {name.lower().replace("_", "-").replace(".", "-"): version for name, version in pins}


def _requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\s\[<>=!~;]", r, 1)[0].lower().replace("_", "-").replace(".", "-") for r in requirements}


def test_the_lock_files_pin_every_dependency_pyproject_names_with_hashes():
    """`make lock` after editing pyproject.toml: this fails first, naming what is missing."""
    import tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, test = _pins(ROOT / "requirements.lock"), _pins(ROOT / "requirements-dev.lock")
    missing = sorted(_requirement_names(project["dependencies"]) - set(runtime))
    assert not missing, f"requirements.lock lacks {missing}: run `make lock`"
    missing = sorted(_requirement_names(project["dependencies"] + project["optional-dependencies"]["test"]) - set(test))
    assert not missing, f"requirements-dev.lock lacks {missing}: run `make lock`"
    assert {name: test[name] for name in runtime} == runtime, "the two locks pin the same versions"
    for lock in ("requirements.lock", "requirements-dev.lock"):
        entries = [e for e in re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock).read_text()) if "==" in e]
        unhashed = [e.split()[0] for e in entries if "--hash=sha256:" not in e]
        assert entries and not unhashed, f"{lock}: pins without hashes {unhashed}"
