"""OpenTelemetry traces: one checkout is one trace, from the gateway through every service and worker.

Off unless OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set: then nothing is
instrumented and no span is ever made, so the cost when off is one environment lookup per process. When on,
spans leave by OTLP over HTTP (protobuf) in batches; the exporter reads the standard OTEL_* settings itself.

Instrumented with the kept libraries: Flask (server spans per route), requests (the gateway's proxy calls
carry `traceparent`), SQLAlchemy (one span per statement) and pika (publish and consume spans, with the
W3C trace context in the AMQP headers).

Events do not leave when they are made: they go to the outbox in the business transaction and are published
right after commit or later by the relay. So the trace context is taken when the outbox row is written and
kept inside the row's envelope JSON under `_trace` (no column, no migration); the publisher takes it out of
the body again, makes it current while publishing, and it travels as the message's `traceparent` header. The
consumer's pika span continues from that header, and the events its handler emits carry the consumer's
context onward: placed → reserved → payment → confirmed → notified is one tree."""
from __future__ import annotations

import os
from contextlib import contextmanager

from opentelemetry import context, propagate, trace

TRACE_KEY = "_trace"  # inside a stored outbox envelope only; never in a published body
_EXCLUDED = "healthz,readyz,metrics"  # polled all the time; their spans would be noise
_state = {"on": None}


def enabled() -> bool:
    if _state["on"] is None:
        _state["on"] = bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
                            or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
    return _state["on"]


def setup(process: str) -> bool:
    """Once per process, before its database engines are made (the SQLAlchemy instrumentation wraps
    `sqlalchemy.create_engine`). `process` names it in the trace: "orders" (web) or "orders-worker"."""
    if not enabled() or _state.get("provider") is not None:
        return enabled()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.pika import PikaInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({
        "service.name": f"pasar-{process}",
        "service.namespace": "pasar-desa", "process.pid": os.getpid()}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _state["provider"] = provider
    RequestsInstrumentor().instrument(excluded_urls=_EXCLUDED)
    # the instrumentation declares sqlalchemy < 2.1 but only uses engine events SQLAlchemy 2.1 keeps
    SQLAlchemyInstrumentor().instrument(skip_dep_check=True)
    PikaInstrumentor().instrument(publish_hook=_name_publish, consume_hook=_name_consume)
    # pika's BlockingConnection.channel makes its inner Connection.channel too; instrumenting both gives every
    # publish two nested "send" spans. Only blocking connections are used here, so the inner one is unwrapped.
    import pika.connection
    from opentelemetry.instrumentation.utils import unwrap
    unwrap(pika.connection.Connection, "channel")
    return True


def _name_publish(span, body, properties) -> None:
    """Spans named by event ("publish order.placed"), not by the exchange every event shares."""
    span.update_name(f"publish {properties.type or 'message'}")


def _name_consume(span, body, properties) -> None:
    span.update_name(f"consume {properties.type or 'message'}")


def instrument_app(app) -> None:
    if enabled():
        from opentelemetry.instrumentation.flask import FlaskInstrumentor
        FlaskInstrumentor().instrument_app(app, excluded_urls=_EXCLUDED)


def flush() -> None:
    provider = _state.get("provider")
    if provider is not None:
        provider.force_flush()


# -- through the outbox --------------------------------------------------------------------------------
def stamp(envelope: dict) -> dict:
    """The current trace context into an envelope about to be stored in the outbox (unchanged when off)."""
    if enabled():
        carrier: dict = {}
        propagate.inject(carrier)
        if carrier:
            envelope[TRACE_KEY] = carrier
    return envelope


@contextmanager
def publishing(envelope: dict):
    """Take the stored context out of the envelope (the published body stays the contract) and make it
    current while the message is published, so the publish span and its `traceparent` header belong to the
    trace that wrote the row, even when the relay sends it minutes later from another process.
    Yields the headers to add to the message (the context itself, for a publisher that is not instrumented)."""
    carrier = envelope.pop(TRACE_KEY, None) or {}
    if not carrier or not enabled():
        yield carrier
        return
    token = context.attach(propagate.extract(carrier))
    try:
        yield carrier
    finally:
        context.detach(token)


def current_ids() -> tuple[str, str] | None:
    """(trace id, span id) in hex for the logs, or None outside any span."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return format(span_context.trace_id, "032x"), format(span_context.span_id, "016x")
