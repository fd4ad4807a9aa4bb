"""RabbitMQ plumbing: topology, confirmed publishing from the outbox, and the inbox-deduplicating worker."""
from .broker import HandOffPublisher, Publisher, broker_reachable, broker_status, connection_parameters
from .topology import QueueNames, declare_topology
from .worker import Worker

__all__ = ["HandOffPublisher", "Publisher", "broker_reachable", "broker_status", "connection_parameters", "QueueNames", "declare_topology", "Worker"]
