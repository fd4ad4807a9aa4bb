"""Gateway tables (accounts arrive with the gateway issue)."""
from sqlalchemy.orm import DeclarativeBase

from pasar.db import messaging_tables


class Base(DeclarativeBase):
    pass


messaging_tables(Base.metadata)
