#!/usr/bin/env python3
"""Send logs, metrics and spans to an OTLP endpoint with the OpenTelemetry
Python SDK and its OTLP exporters, as an instrumented application would.

Exits 0 only if every export succeeded (the SDK only logs export failures,
so each exporter here records its results), and prints one JSON line
describing what was sent, for the test to compare with what arrived.

    send_otlp.py --protocol grpc|http --endpoint http://127.0.0.1:4317 \
        --signal logs|metrics|traces|all --run-id ID [--count N] \
        [--ca-file CA.pem [--cert-file C.pem --key-file K.pem]] [--token T]

With --ca-file the endpoint is reached over TLS, trusting that CA (and
presenting the client certificate, if given); --token sends
`authorization: Bearer T`.
"""

import argparse
import json
import sys

from opentelemetry._logs import LogRecord, SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

FAILURES = []
SEVERITIES = [
    (SeverityNumber.INFO, "INFO"),
    (SeverityNumber.WARN, "WARN"),
    (SeverityNumber.ERROR, "ERROR"),
]


def checked(exporter_class, what):
    """A subclass of `exporter_class` that records failed exports."""

    class Checked(exporter_class):
        def export(self, *args, **kwargs):
            result = super().export(*args, **kwargs)
            # Success is value 0 in every SDK result enum.
            if getattr(result, "value", result) != 0:
                FAILURES.append(f"{what} export failed: {result}")
            return result

    return Checked


def exporters(protocol, endpoint, args):
    headers = {"authorization": f"Bearer {args.token}"} if args.token else None
    if protocol == "grpc":
        import grpc
        from opentelemetry.exporter.otlp.proto.grpc import _log_exporter, metric_exporter, trace_exporter
        from grpc import Compression

        common = dict(endpoint=endpoint, insecure=True, timeout=5, compression=Compression.Gzip, headers=headers)
        if args.ca_file:
            def read(path):
                with open(path, "rb") as f:
                    return f.read()

            credentials = grpc.ssl_channel_credentials(
                root_certificates=read(args.ca_file),
                private_key=read(args.key_file) if args.key_file else None,
                certificate_chain=read(args.cert_file) if args.cert_file else None,
            )
            common.update(insecure=False, credentials=credentials)
        return (
            checked(_log_exporter.OTLPLogExporter, "log")(**common),
            checked(metric_exporter.OTLPMetricExporter, "metric")(**common),
            checked(trace_exporter.OTLPSpanExporter, "span")(**common),
        )
    from opentelemetry.exporter.otlp.proto.http import Compression, _log_exporter, metric_exporter, trace_exporter

    base = endpoint.rstrip("/")
    common = dict(timeout=5, compression=Compression.Gzip, headers=headers)
    if args.ca_file:
        common.update(
            certificate_file=args.ca_file,
            client_certificate_file=args.cert_file,
            client_key_file=args.key_file,
        )
    return (
        checked(_log_exporter.OTLPLogExporter, "log")(endpoint=f"{base}/v1/logs", **common),
        checked(metric_exporter.OTLPMetricExporter, "metric")(endpoint=f"{base}/v1/metrics", **common),
        checked(trace_exporter.OTLPSpanExporter, "span")(endpoint=f"{base}/v1/traces", **common),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", choices=["grpc", "http"], required=True)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--signal", choices=["logs", "metrics", "traces", "all"], default="all")
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--ca-file")
    parser.add_argument("--cert-file")
    parser.add_argument("--key-file")
    parser.add_argument("--token")
    args = parser.parse_args()

    resource = Resource.create({"service.name": "weir-python-test", "test.run_id": args.run_id})
    log_exporter, metric_exporter, span_exporter = exporters(args.protocol, args.endpoint, args)
    summary = {"run_id": args.run_id, "logs": 0, "spans": 0, "metric_points": 0, "trace_id": None}
    signals = ["logs", "metrics", "traces"] if args.signal == "all" else [args.signal]

    if "traces" in signals:
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(BatchSpanProcessor(span_exporter))
        tracer = provider.get_tracer("weir-test")
        with tracer.start_as_current_span("parent") as parent:
            summary["trace_id"] = format(parent.get_span_context().trace_id, "032x")
            for i in range(args.count - 1):
                with tracer.start_as_current_span(f"span-{i}", attributes={"test.index": i}):
                    pass
        provider.force_flush()
        provider.shutdown()
        summary["spans"] = args.count

    if "logs" in signals:
        provider = LoggerProvider(resource=resource)
        provider.add_log_record_processor(BatchLogRecordProcessor(log_exporter))
        logger = provider.get_logger("weir-test")
        for i in range(args.count):
            number, text = SEVERITIES[i % len(SEVERITIES)]
            logger.emit(
                LogRecord(
                    severity_number=number,
                    severity_text=text,
                    body=f"log {i} of run {args.run_id}",
                    attributes={"test.index": i, "user.email": "jane@example.com"},
                )
            )
        provider.force_flush()
        provider.shutdown()
        summary["logs"] = args.count

    if "metrics" in signals:
        reader = PeriodicExportingMetricReader(metric_exporter, export_interval_millis=3_600_000)
        provider = MeterProvider(resource=resource, metric_readers=[reader])
        meter = provider.get_meter("weir-test")
        counter = meter.create_counter("weir.test.counter")
        histogram = meter.create_histogram("weir.test.latency", unit="ms")
        for i in range(args.count):
            counter.add(1, {"test.run_id": args.run_id})
            histogram.record(i * 1.5, {"test.run_id": args.run_id})
        provider.force_flush()
        provider.shutdown()
        summary["metric_points"] = 2

    if FAILURES:
        print("\n".join(FAILURES), file=sys.stderr)
        return 1
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
