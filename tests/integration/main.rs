//! weir's integration tests: one binary, a module per area.

// The example plugins, loaded by the host on realistic batches.
mod example_plugins;
// The example plugins in Python, JavaScript, C and Go against their Rust versions.
mod languages;
// `weir plugin new` for each language: builds and runs as generated.
mod plugin_new;
// Misbehaving and wrong guests: each contained, the host keeps serving.
mod bad_guests;
// The compiled-plugin cache on disk.
mod artifact_cache;
// `weir plugin check` and `weir plugin run`, as a user runs them.
mod cli;
// `weir run` end to end over OTLP/HTTP.
mod daemon;
// Hot reload: plugin files replaced, added, removed and broken under load.
mod hot_reload;
// Starting, stopping and reading back a `weir run` for a test.
mod daemon_support;
// The OpenTelemetry Python SDK as a real client of `weir run`.
mod python_client;
// weir's own OTLP/gRPC server: many calls on one connection, a stalled call at shutdown.
mod grpc_receiver;
// Acknowledgement latency: no request held for the batch timeout (issue 21).
mod ack_latency;
// The durable queue: outages, SIGKILL and damaged logs lose nothing acknowledged.
mod durable_queue;
// weir → weir over OTLP/gRPC: the `otlp` exporter forwards intact, and retries a late far end.
mod otlp_forwarding;
// Exporter retries and dead letters with the in-memory queue.
mod exporter_retry;
// Kafka between the phases, against a real broker (issue 15).
mod kafka;
// Kafka faults on librdkafka's mock cluster.
mod kafka_faults;
// The s3 exporter against a real S3 server (issue 17).
mod s3;
// `weir replay` of S3 archives, weir's and the Collector's (issue 17).
mod s3_replay;
// Parquet archives read by pyarrow, DuckDB and weir replay (issue 17).
mod s3_parquet;
// Shared helpers of the S3 tests.
mod s3_support;
// Shared helpers of the Kafka tests.
mod kafka_support;
// The store exporters: jaeger → weir, victorialogs through outages, 500s and 400s (issue 16).
mod store_exporters;
// A local store endpoint that can be down, fail, refuse or accept, and counts what it took.
mod store_support;
// The metrics stores, real InfluxDB, Prometheus and VictoriaMetrics (issue 16).
mod metrics_stores;
// Shared helpers of the metrics-store tests.
mod stores_support;
// Shared helpers for the modules above.
mod support;
// The OTLP receivers behind TLS, mutual TLS and a bearer token (issue 20).
mod receiver_security;
// The memory_limiter processor under a load its exporter cannot keep up with (issue 20).
mod memory_limiter;
// The plugin sandbox: no way out through WASI, limits in every export, bounded logs (issue 20).
mod sandbox;
// The sandbox inside `weir run`: environment, log floods, reloads that fail in describe or init.
mod sandbox_daemon;
