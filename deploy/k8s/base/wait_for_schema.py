"""Init container of every web and worker pod: wait until the app's database is at the head revision of the
migrations shipped in this image, i.e. until this release's migration Job has run. It never migrates itself
(`pasar migrate` is idempotent, but two pods running it at once would race on the same DDL)."""
import sys
import time

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from pasar import config
from pasar.migrate import alembic_config

app = sys.argv[1]
wanted = set(ScriptDirectory.from_config(alembic_config(app)).get_heads())
engine = create_engine(config.database_url(app), pool_pre_ping=True)
while True:
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
        if current == wanted:
            print(f"{app}: schema at {sorted(wanted)}", flush=True)
            break
        print(f"{app}: schema at {sorted(current) or 'nothing'}, waiting for {sorted(wanted)}", flush=True)
    except Exception as exc:  # database not reachable yet: keep waiting, the pod stays in Init
        print(f"{app}: database not ready ({type(exc).__name__}: {exc})", flush=True)
    time.sleep(3)
