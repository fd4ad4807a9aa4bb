"""`pasar` command: migrate, worker, web, seed, up, and service commands (`pasar <service> <command>`)."""
from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
from pathlib import Path

from . import config


def _die(message: str, code: int = 1):
    print(message, file=sys.stderr)
    sys.exit(code)


def cmd_migrate(args) -> None:
    from .migrate import upgrade
    apps = config.ALL_APPS if args.app == "all" else (args.app,)
    for app in apps:
        upgrade(app)
        print(f"migrated {app}")


def cmd_revision(args) -> None:
    from .migrate import revision
    revision(args.app, args.message, autogenerate=not args.empty)


def build_worker(app: str):
    from .db import Database
    from .messaging import Worker
    from .migrate import app_package, metadata_of
    from .idempotency import periodic_jobs
    module = importlib.import_module(f"{app_package(app)}.handlers")
    metadata = metadata_of(app)
    # optional PERIODIC = [(interval_seconds, fn(db) -> emitted ids)]: jobs the worker runs between messages
    periodic = [*getattr(module, "PERIODIC", ()), *periodic_jobs(metadata)]
    return Worker(app, Database(app, metadata), module.HANDLERS, periodic=periodic)


def cmd_worker(args) -> None:
    from . import logs, metrics, tracing
    config.refuse_unsafe_production_settings()
    metrics.prepare(args.app, "worker")  # before anything imports prometheus_client (see pasar/metrics.py)
    logs.configure(f"{args.app}-worker")
    tracing.setup(f"{args.app}-worker")  # before build_worker makes the engines
    worker = build_worker(args.app)
    worker.install_signal_handlers()
    worker.run()


def cmd_web(args) -> None:
    """gunicorn serving the app on its port (sync workers: each request has its own DB transaction)."""
    from . import metrics
    from .migrate import app_package
    config.refuse_unsafe_production_settings()
    metrics.prepare(args.app, "web")  # gunicorn's workers inherit the folder (see pasar/metrics.py)
    port = args.port or config.service_port(args.app)
    host = "0.0.0.0" if args.app == "gateway" else config.setting("SERVICE_BIND_HOST", "127.0.0.1")
    workers = str(args.workers or config.int_setting("WEB_CONCURRENCY", 2))
    os.execvp(sys.executable, [
        sys.executable, "-m", "gunicorn", f"{app_package(args.app)}.app:create_app()",
        "--bind", f"{host}:{port}", "--workers", workers, "--threads", str(config.web_threads(args.app)),
        "--worker-class", "gthread", "--timeout", "30", "--graceful-timeout", "10",
        "--access-logfile", "-" if config.setting("ACCESS_LOG") else "/dev/null", "--log-level", "warning",
    ])


def cmd_seed(args) -> None:
    for app in config.ALL_APPS:
        from .migrate import app_package
        try:
            module = importlib.import_module(f"{app_package(app)}.seed")
        except ModuleNotFoundError:
            continue
        print(f"seeding {app}: {module.seed()}")


def check_broker_or_explain() -> None:
    from .messaging import broker_reachable
    url = config.messaging().amqp_url
    ok, detail = broker_reachable(url)
    if not ok:
        from .up import _explain_and_exit, _redact
        _explain_and_exit(_redact(url), detail, "")


def cmd_up(args) -> None:
    """Broker (the machine's, or a private node started here), migrations, demo data, then supervisord."""
    from . import up
    if up.already_running():
        print(f"Pasar Desa is already running on this var/ directory ({config.var_dir()}): "
              f"`pasar ctl status` lists its processes, `pasar ctl shutdown` stops them")
        return
    print(up.ensure_broker(), flush=True)
    cmd_migrate(argparse.Namespace(app="all"))
    if not args.no_seed:
        cmd_seed(args)
    conf = up.write_supervisor_conf(Path(sys.executable).parent)
    supervisord = shutil.which("supervisord", path=os.path.dirname(sys.executable)) or shutil.which("supervisord")
    print(f"starting every Procfile process under supervisord ({conf}); a process that dies is restarted, "
          f"the others keep running. `pasar ctl status` lists them; Ctrl-C stops them all", flush=True)
    sys.stdout.flush()
    os.execvp(supervisord, [supervisord, "-c", str(conf)])


def cmd_ctl(args) -> None:
    """supervisorctl on the processes `pasar up` started (status, restart <name>, tail -f <name>, shutdown)."""
    from . import up
    ctl = shutil.which("supervisorctl", path=os.path.dirname(sys.executable)) or "supervisorctl"
    os.execvp(ctl, [ctl, "-c", str(up.supervisor_conf_path()), *args.rest])


def cmd_broker(args) -> None:
    """The private RabbitMQ node `pasar up` starts when no broker answers."""
    from urllib.parse import urlparse

    from .up import LocalBroker
    node = LocalBroker(urlparse(config.messaging().amqp_url).port or 5672)
    if args.action == "stop":
        print(f"stopped {node.name}" if node.stop() else f"{node.name} was not running")


def cmd_health(args) -> None:
    """Exit 0 when the app's worker is consuming its queue (docker compose's health check for the workers)."""
    from .messaging import QueueNames, broker_status
    settings = config.messaging()
    queue = QueueNames.for_service(args.app, settings).main
    ok, detail, counts = broker_status(settings.amqp_url, queue)
    if not ok:
        _die(f"broker unreachable: {detail}")
    if not counts or counts["consumers"] < 1:
        _die(f"no worker consumes {queue}")
    print(f"{queue}: {counts['consumers']} consumer(s), {counts['ready']} ready, {counts['parked']} parked")


def cmd_make_keys(args) -> None:
    """An Ed25519 key pair for access tokens: the private key for the gateway alone, the public key for all."""
    from pathlib import Path

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    folder = Path(args.dir)
    private_path, public_path = folder / "jwt_private.pem", folder / "jwt_public.pem"
    if private_path.exists() and not args.force:
        _die(f"{private_path} exists; --force replaces it (every signed-in user then has to log in again)")
    folder.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    private_path.chmod(0o600)
    public_path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo))
    print(f"wrote {private_path} (gateway only: JWT_PRIVATE_KEY_FILE) and {public_path} (every app: "
          f"JWT_PUBLIC_KEY_FILE)")


def cmd_check_broker(args) -> None:
    check_broker_or_explain()
    print("RabbitMQ is reachable")


def cmd_service(args) -> None:
    """`pasar <app> <command> ...`: commands a service declares in its commands.py."""
    from .migrate import app_package
    try:
        module = importlib.import_module(f"{app_package(args.app)}.commands")
    except ModuleNotFoundError:
        _die(f"{args.app} has no commands")
    commands = getattr(module, "COMMANDS", {})
    if args.command not in commands:
        _die(f"{args.app} commands: {', '.join(sorted(commands)) or 'none'}")
    sys.exit(commands[args.command](args.rest) or 0)


def main(argv=None) -> None:
    config.load_dotenv_file()
    parser = argparse.ArgumentParser(prog="pasar", description="Pasar Desa operations")
    sub = parser.add_subparsers(dest="cmd", required=True)
    apps = list(config.ALL_APPS)
    p = sub.add_parser("migrate", help="apply database migrations"); p.add_argument("app", choices=apps + ["all"])
    p.set_defaults(func=cmd_migrate)
    p = sub.add_parser("revision", help="new migration"); p.add_argument("app", choices=apps)
    p.add_argument("-m", "--message", required=True); p.add_argument("--empty", action="store_true")
    p.set_defaults(func=cmd_revision)
    p = sub.add_parser("worker", help="consume events and relay the outbox"); p.add_argument("app", choices=apps)
    p.set_defaults(func=cmd_worker)
    p = sub.add_parser("web", help="serve an app with gunicorn"); p.add_argument("app", choices=apps)
    p.add_argument("--port", type=int); p.add_argument("--workers", type=int); p.set_defaults(func=cmd_web)
    p = sub.add_parser("seed", help="load demo data"); p.set_defaults(func=cmd_seed)
    p = sub.add_parser("up", help="migrate, seed and start every process"); p.add_argument("--no-seed", action="store_true")
    p.set_defaults(func=cmd_up)
    p = sub.add_parser("ctl", help="supervisorctl for the processes `pasar up` runs")
    p.add_argument("rest", nargs=argparse.REMAINDER); p.set_defaults(func=cmd_ctl)
    p = sub.add_parser("broker", help="the private RabbitMQ node `pasar up` may start")
    p.add_argument("action", choices=["stop"]); p.set_defaults(func=cmd_broker)
    p = sub.add_parser("health", help="is this process healthy? (compose health checks)")
    p.add_argument("kind", choices=["worker"]); p.add_argument("app", choices=apps); p.set_defaults(func=cmd_health)
    p = sub.add_parser("check-broker", help="is RabbitMQ reachable?"); p.set_defaults(func=cmd_check_broker)
    p = sub.add_parser("make-keys", help="Ed25519 key pair for access tokens")
    p.add_argument("--dir", default="secrets"); p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_make_keys)
    for app in apps:
        p = sub.add_parser(app, help=f"{app} commands"); p.add_argument("command")
        p.add_argument("rest", nargs=argparse.REMAINDER); p.set_defaults(func=cmd_service, app=app)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
