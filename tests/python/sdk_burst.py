#!/usr/bin/env python3
"""Log a steady burst with the OpenTelemetry Python SDK, as an application
would: N log records at R records/s through a `BatchLogRecordProcessor`
with its defaults (queue 2048, export batch 512, one export in flight) and
the OTLP log exporter, then flush and shut down.

Every record carries the resource attribute `test.run_id` and an int
attribute `seq` (0..N-1), so the test can count what arrived. The SDK drops
what it cannot queue and only logs "Queue full, dropping ..."; this script
counts those warnings and prints one JSON line:

    {"emitted": N, "seconds": ..., "rate": ..., "sdk_dropped_warnings": k,
     "export_ms_p99": ..., "python_cpu_seconds": ..., ...}

    sdk_burst.py --endpoint http://127.0.0.1:4317 --protocol grpc|http \
        --rate 10000 --count 30000 --run-id ID
"""

import argparse
import json
import logging
import os
import sys
import time

# The processor's defaults are the point: drop any override from the
# environment before the SDK reads it.
for _name in [n for n in os.environ if n.startswith("OTEL_BLRP_")]:
    del os.environ[_name]

from opentelemetry._logs import LogRecord, SeverityNumber  # noqa: E402
from opentelemetry.sdk._logs import LoggerProvider  # noqa: E402
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor  # noqa: E402
from opentelemetry.sdk.resources import Resource  # noqa: E402

# Time slice of the pacing loop: records due are emitted every SLICE seconds.
SLICE = 0.001


class DropCounter(logging.Handler):
    """Counts the SDK's "Queue full, dropping ..." warnings (one per record
    dropped, once the SDK's duplicate filter is out of the way) and any
    other warning or error it logs, without printing each of them."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.dropped = 0
        self.other = []

    def emit(self, record):
        message = record.getMessage()
        if message.startswith("Queue full"):
            self.dropped += 1
        elif len(self.other) < 20:
            self.other.append(f"{record.name}: {message}")


def count_sdk_warnings():
    """Attaches a DropCounter to the SDK's loggers. The SDK's internal
    loggers carry a DuplicateFilter that passes one identical message per
    20 s; it is removed so that every dropped record is counted."""
    counter = DropCounter()
    sdk = logging.getLogger("opentelemetry")
    sdk.addHandler(counter)
    sdk.propagate = False
    for name in list(logging.root.manager.loggerDict):
        logger = logging.root.manager.loggerDict[name]
        if name.startswith("opentelemetry") and isinstance(logger, logging.Logger):
            for f in list(logger.filters):
                if type(f).__name__ == "DuplicateFilter":
                    logger.removeFilter(f)
            # The processor also logs through a non-propagating child logger.
            if not logger.propagate:
                logger.addHandler(counter)
    return counter


def exporter(protocol, endpoint):
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter

        return OTLPLogExporter(endpoint=endpoint, insecure=True)
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter

    return OTLPLogExporter(endpoint=f"{endpoint.rstrip('/')}/v1/logs")


class Observed:
    """Wraps an exporter to count failed exports (the SDK only logs them)
    and time each export: encoding plus the round trip to the receiver."""

    def __init__(self, inner):
        self.inner = inner
        self.failed = 0
        self.durations = []

    def export(self, batch):
        started = time.monotonic()
        result = self.inner.export(batch)
        self.durations.append(time.monotonic() - started)
        # Success is value 0 in the SDK's result enum.
        if getattr(result, "value", result) != 0:
            self.failed += 1
        return result

    def shutdown(self, *args, **kwargs):
        return self.inner.shutdown(*args, **kwargs)

    def force_flush(self, *args, **kwargs):
        return self.inner.force_flush(*args, **kwargs)

    def percentile_ms(self, p):
        if not self.durations:
            return None
        ordered = sorted(self.durations)
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000, 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--protocol", choices=["grpc", "http"], default="grpc")
    parser.add_argument("--rate", type=float, required=True, help="records per second")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--run-id", required=True)
    args = parser.parse_args()

    resource = Resource.create({"service.name": "weir-sdk-burst", "test.run_id": args.run_id})
    export = Observed(exporter(args.protocol, args.endpoint))
    provider = LoggerProvider(resource=resource)
    # Defaults on purpose: what an application gets without tuning.
    provider.add_log_record_processor(BatchLogRecordProcessor(export))
    logger = provider.get_logger("weir-sdk-burst")
    counter = count_sdk_warnings()

    started, cpu_started = time.monotonic(), time.process_time()
    emitted = 0
    while emitted < args.count:
        due = min(args.count, int((time.monotonic() - started) * args.rate) + 1)
        while emitted < due:
            logger.emit(
                LogRecord(
                    severity_number=SeverityNumber.INFO,
                    severity_text="INFO",
                    body=f"burst record {emitted} of run {args.run_id}",
                    attributes={"seq": emitted},
                )
            )
            emitted += 1
        if emitted < args.count:
            # Sleep until the next record is due, in slices of at most SLICE.
            next_due = started + emitted / args.rate
            time.sleep(max(0.0, min(SLICE, next_due - time.monotonic())))
    seconds = time.monotonic() - started

    provider.force_flush()
    provider.shutdown()
    flushed = time.monotonic() - started

    summary = {
        "run_id": args.run_id,
        "protocol": args.protocol,
        "emitted": emitted,
        "seconds": round(seconds, 3),
        "rate": round(emitted / seconds, 1) if seconds else None,
        "seconds_until_flushed": round(flushed, 3),
        "sdk_dropped_warnings": counter.dropped,
        "failed_exports": export.failed,
        "exports": len(export.durations),
        "export_ms_p50": export.percentile_ms(0.50),
        "export_ms_p99": export.percentile_ms(0.99),
        "export_ms_max": export.percentile_ms(1.0),
        # CPU of all threads from the first record until flushed. Emitting
        # and encoding at this rate takes a good part of a core: a Python
        # starved of CPU drops records whatever the receiver does.
        "python_cpu_seconds": round(time.process_time() - cpu_started, 2),
    }
    if counter.other:
        print("\n".join(counter.other), file=sys.stderr)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
