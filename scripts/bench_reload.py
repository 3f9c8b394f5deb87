"""Hot-reload benchmark, driven by scripts/bench-reload.sh.

Runs `weir run` with a plugin directory and a null exporter, and `weir gen`
at a steady rate against it, three times:

  baseline  no file changes: end-to-end request latency as it is;
  small     the 51 KB `tagger` plugin replaced every INTERVAL seconds by a
            new version (a distinct tag patched into its data: new to the
            artifact cache; its functions' code is reused from memory);
  large-all the generated `bulky` plugin (2.5 MB, 15,000 functions)
            replaced the same way, with a constant patched in every function:
            all its code is new and compiled;
  large-one the same with the constant patched in one function only: a
            rebuild after a small edit, where weir reuses the compiled code
            of the 14,999 unchanged functions.

Reports, per scenario, the reload latency weir measured itself (from the
file's last write, its mtime, to the new version published to the
pipelines; p50/p99 over the swaps) and `weir gen`'s p99 request latency —
an OTLP/HTTP request is answered only once exported, so this is end-to-end
latency — with its ratio to the baseline's p99 from the same run; the
compile time and functions compiled (weir's status, per swap, p50); and
the daemon's resident memory at the end.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

weir, wasm_dir, seconds, interval = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
HTTP, TELEMETRY = 24318, 28888
RATE, BATCH, CONNECTIONS = 20000, 100, 4


def status():
    with urllib.request.urlopen(f"http://127.0.0.1:{TELEMETRY}/plugins", timeout=5) as r:
        return json.load(r)


def plugin(pid):
    return next((p for p in status()["plugins"] if p["id"] == pid), None)


def tagger(tag):
    data = bytearray(open(os.path.join(wasm_dir, "tagger.wasm"), "rb").read())
    at = data.index(b"WEIRTAG=") + 8
    field = f"weir.tag:{tag}".encode().ljust(40, b" ")
    data[at:at + 40] = field
    return bytes(data)


# bulky's build.rs ends every function with a multiplication by this
# constant; its encoding is 10 bytes for any value in 2^62..2^63.
SALT = 0x5EED_0000_0000_0001


def sleb128(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40):
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def bulky(component, version, functions):
    """`bulky` with the salt of the first `functions` functions (None: all)
    changed to one unique to `version`."""
    old, new = sleb128(SALT), sleb128(SALT + 2 * version)
    assert len(old) == len(new) == 10 and component.count(old) == 15000
    return component.replace(old, new, -1 if functions is None else functions)


def replace(path, data):
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def scenario(work, name, make_version):
    plugins = os.path.join(work, name, "plugins")
    os.makedirs(plugins)
    target = os.path.join(plugins, "10-plugin.wasm")
    with open(target, "wb") as f:
        f.write(make_version(0) if make_version else tagger("base"))
    config = os.path.join(work, name, "weir.yaml")
    with open(config, "w") as f:
        f.write(f"""receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{HTTP}
processors:
  batch:
    timeout: 20ms
exporters:
  null:
service:
  plugins:
    directory: {plugins}
  telemetry:
    address: 127.0.0.1:{TELEMETRY}
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [null]
""")
    log = open(os.path.join(work, name, "weir.log"), "w")
    env = dict(os.environ, WEIR_LOG="info", WEIR_CACHE_DIR=os.path.join(work, name, "cache"))
    daemon = subprocess.Popen([weir, "run", "--config", config], stderr=log, env=env)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{TELEMETRY}/readyz", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        load = subprocess.Popen(
            [weir, "gen", "--endpoint", f"http://127.0.0.1:{HTTP}", "--rate", str(RATE),
             "--batch", str(BATCH), "--connections", str(CONNECTIONS),
             "--duration", str(seconds), "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        latencies, compiles = [], []
        if make_version:
            time.sleep(1)
            deadline = time.time() + seconds - 2
            i = 1
            while time.time() < deadline:
                before = plugin("dir/10-plugin")["reloads"]
                replace(target, make_version(i))
                limit = time.time() + 30
                while time.time() < limit:
                    p = plugin("dir/10-plugin")
                    if p["reloads"] > before:
                        latencies.append(p["serving"]["reload_latency_ms"])
                        compiles.append(p["serving"].get("compiled") or {})
                        break
                    time.sleep(0.005)
                i += 1
                time.sleep(interval)
        out, _ = load.communicate()
        summary = json.loads(out.strip().splitlines()[-1])
        size = os.path.getsize(target)
        failures = plugin("dir/10-plugin")["last_failure"]
        with open(f"/proc/{daemon.pid}/status") as f:
            rss_mb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024
    finally:
        daemon.terminate()
        daemon.wait()
    return {
        "scenario": name,
        "plugin_bytes": size,
        "swaps": len(latencies),
        "reload_ms_p50": percentile(latencies, 50),
        "reload_ms_p99": percentile(latencies, 99),
        "reload_ms_max": max(latencies) if latencies else None,
        "compile_ms_p50": percentile([c.get("ms", 0) for c in compiles], 50),
        "functions_compiled_p50": percentile([c.get("functions_compiled", 0) for c in compiles], 50),
        "functions_reused_p50": percentile([c.get("functions_reused", 0) for c in compiles], 50),
        "records": summary["records"],
        "refused": summary["refused"],
        "errors": summary["errors"],
        "e2e_ms_p50": summary["latency_ms_p50"],
        "e2e_ms_p99": summary["latency_ms_p99"],
        "reload_failures": failures,
        "daemon_rss_mb": rss_mb,
    }


def main():
    work = tempfile.mkdtemp(prefix="weir-bench-reload-")
    try:
        large = open(os.path.join(wasm_dir, "bulky.wasm"), "rb").read()
        rows = [
            scenario(work, "baseline", None),
            scenario(work, "small", lambda i: tagger(f"v{i}")),
            scenario(work, "large-all", lambda i: bulky(large, i, None)),
            scenario(work, "large-one", lambda i: bulky(large, i, 1)),
        ]
    finally:
        if not os.environ.get("KEEP_BENCH"):
            shutil.rmtree(work, ignore_errors=True)
    for row in rows:
        print(json.dumps(row))
    base = rows[0]["e2e_ms_p99"]
    print(f"\n{'scenario':<11}{'plugin KB':>10}{'swaps':>7}{'reload p50':>12}{'reload p99':>12}"
          f"{'compile p50':>13}{'fns compiled':>14}{'e2e p50':>9}{'e2e p99':>9}{'p99 vs base':>13}{'records':>10}{'RSS MB':>8}")
    for r in rows:
        fmt = lambda v: "-" if v is None else f"{v:.0f} ms"
        print(f"{r['scenario']:<11}{r['plugin_bytes'] / 1024:>10,.0f}{r['swaps']:>7}"
              f"{fmt(r['reload_ms_p50']):>12}{fmt(r['reload_ms_p99']):>12}"
              f"{fmt(r['compile_ms_p50']):>13}"
              f"{'-' if r['functions_compiled_p50'] is None else r['functions_compiled_p50']:>14}"
              f"{r['e2e_ms_p50']:>9.1f}{r['e2e_ms_p99']:>9.1f}{r['e2e_ms_p99'] / base:>13.2f}"
              f"{r['records']:>10,}{r['daemon_rss_mb']:>8.0f}")


main()
