"""The databases: values, expiry and change signals. No I/O here."""
from .database import Database, Keyspace, NotifyKind
from .clock import Clock, SystemClock

__all__ = ["Clock", "Database", "Keyspace", "NotifyKind", "SystemClock"]
