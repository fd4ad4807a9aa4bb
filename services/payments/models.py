"""Payments tables."""
from sqlalchemy.orm import DeclarativeBase

from pasar.db import messaging_tables


class Base(DeclarativeBase):
    pass


messaging_tables(Base.metadata)
