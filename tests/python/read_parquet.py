"""Reads a Parquet object the s3 exporter wrote with two independent
readers, pyarrow and DuckDB, and prints what a test checks as one JSON
object: per reader, the row count, the columns, and selected values.

usage: read_parquet.py FILE SIGNAL
"""
import json
import sys

import duckdb
import pyarrow.parquet as pq

path, signal = sys.argv[1], sys.argv[2]

import pyarrow as pa

table = pq.read_table(path)
# Nanosecond timestamps do not fit Python's datetime: read them as numbers.
times = [f.name for f in table.schema if pa.types.is_timestamp(f.type)]
rows = table.drop_columns(times).to_pylist()
arrow = {
    "rows": table.num_rows,
    "columns": table.column_names,
    # Maps come back as lists of (key, value) pairs.
    "attributes": [dict(r["attributes"]) for r in rows],
    "resource_attributes": [dict(r["resource_attributes"]) for r in rows],
    "service_name": [r["service_name"] for r in rows],
}
if signal == "logs":
    arrow["body"] = [r["body"] for r in rows]
    arrow["severity_number"] = [r["severity_number"] for r in rows]
    arrow["trace_id"] = [r["trace_id"] for r in rows]
    arrow["time_ns"] = table.column("time").cast(pa.int64()).to_pylist()
    arrow["time_type"] = str(table.schema.field("time").type)
elif signal == "traces":
    arrow["name"] = [r["name"] for r in rows]
    arrow["duration_ns"] = [r["duration_ns"] for r in rows]

con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
q = lambda sql: con.execute(sql.replace("FILE", f"read_parquet('{path}')")).fetchall()
duck = {"rows": q("SELECT count(*) FROM FILE")[0][0]}
if signal == "logs":
    duck["by_tenant"] = dict(
        q("SELECT attributes['tenant'], count(*) FROM FILE GROUP BY 1 ORDER BY 1")
    )
    duck["warn_or_worse"] = q("SELECT count(*) FROM FILE WHERE severity_number >= 13")[0][0]
    duck["first_time"] = q("SELECT strftime(min(time), '%Y-%m-%dT%H:%M:%S') FROM FILE")[0][0]
    duck["status_200"] = q(
        "SELECT count(*) FROM FILE WHERE CAST(attributes['http.response.status_code'] AS INT) = 200"
    )[0][0]
elif signal == "traces":
    duck["errors"] = q("SELECT count(*) FROM FILE WHERE status_code = 2")[0][0]
    duck["services"] = [r[0] for r in q("SELECT DISTINCT service_name FROM FILE ORDER BY 1")]

print(json.dumps({"pyarrow": arrow, "duckdb": duck}))
