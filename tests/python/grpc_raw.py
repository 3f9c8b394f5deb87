#!/usr/bin/env python3
"""Send raw bytes as one gRPC unary request and print the status as JSON:
for testing how weir's OTLP/gRPC receiver answers requests no SDK would
send (malformed, oversize, compression bombs).

    grpc_raw.py --target 127.0.0.1:4317 --signal logs --body HEX|zeros:N [--gzip]
"""

import argparse
import json

import grpc

SERVICES = {
    "logs": "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    "metrics": "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
    "traces": "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--signal", default="logs", choices=SERVICES)
    parser.add_argument("--body", required=True, help="hex bytes, or zeros:N for a field of N zero bytes")
    parser.add_argument("--gzip", action="store_true")
    args = parser.parse_args()
    if args.body.startswith("zeros:"):
        n = int(args.body.split(":")[1])
        # Field 1 (resource_logs), length-delimited, holding n zero bytes:
        # framing that is valid up to the payload, so only its size matters.
        length, varint = n, b""
        while True:
            byte = length & 0x7F
            length >>= 7
            varint += bytes([byte | (0x80 if length else 0)])
            if not length:
                break
        body = b"\x0a" + varint + b"\x00" * n
    else:
        body = bytes.fromhex(args.body)
    options = [("grpc.max_send_message_length", 64 << 20)]
    channel = grpc.insecure_channel(args.target, options=options)
    call = channel.unary_unary(SERVICES[args.signal], request_serializer=lambda b: b,
                               response_deserializer=lambda b: b)
    compression = grpc.Compression.Gzip if args.gzip else grpc.Compression.NoCompression
    try:
        call(body, timeout=20, compression=compression)
        result = {"code": "OK", "details": ""}
    except grpc.RpcError as e:
        result = {"code": e.code().name, "details": e.details() or ""}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
