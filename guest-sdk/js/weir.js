// weir.js: write weir plugins in JavaScript.
//
// A plugin is one object of plain functions given to `plugin()`:
//
//   import { plugin, Outcome } from "weir";
//   export const processor = plugin({
//     name: "drop-debug", description: "Drops DEBUG logs", signals: ["logs"],
//     init(config) { this.min = config.severity("min_severity", 9); },
//     process(batch) { return Outcome.keepWhere([...batch.severityNumbers()].map((s) => s >= this.min)); },
//   });
//
// `init` and `process` are called with the object as `this`, so state set
// in `init` is there for every batch. Throw ordinary errors: the SDK hands
// weir their message (jco wants a plain string thrown). The bindings jco
// generates from wit/ stay behind this module; guest-sdk/js/build.sh
// bundles it with the plugin (componentize-js takes one module).
import { log as witLog } from "weir:plugin/log@0.1.0";

const SEVERITIES = {
  TRACE: 1, DEBUG: 5, INFO: 9, INFORMATION: 9, WARN: 13, WARNING: 13,
  ERROR: 17, FATAL: 21, CRITICAL: 21,
};

/** A severity number 1-24 from a name (WARN, error, INFO2) or a number. */
export function severity(value) {
  const text = String(value).trim();
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n >= 1 && n <= 24) return n;
    throw new Error(`severity number ${n} is out of range 1-24`);
  }
  const [, name, step] = /^(\D*)(\d*)$/.exec(text.toUpperCase()) ?? [];
  if (!(name in SEVERITIES)) {
    throw new Error(`unknown severity \`${value}\`: expected TRACE, DEBUG, INFO, WARN, ERROR, ` +
      "FATAL (optionally 2-4, e.g. INFO2) or a number 1-24");
  }
  if (!["", "2", "3", "4"].includes(step)) {
    throw new Error(`unknown severity \`${value}\`: the suffix must be 2, 3 or 4`);
  }
  return SEVERITIES[name] + (step ? Number(step) - 1 : 0);
}

/** The plugin's configuration: typed getters that name the wrong key;
 * keys the plugin never read are refused after `init`. */
export class Config {
  constructor(json) {
    const value = JSON.parse(json);
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new Error("invalid configuration: expected an object");
    }
    this.values = value;
    this.read = new Set();
  }
  has(key) { this.read.add(key); return this.values[key] !== undefined && this.values[key] !== null; }
  get(key, fallback) {
    if (!this.has(key)) {
      if (fallback === undefined) throw new Error(`invalid configuration: missing field \`${key}\``);
      return fallback;
    }
    return this.values[key];
  }
  typed(key, fallback, ok, expected) {
    const value = this.get(key, fallback);
    if (!ok(value)) throw new Error(`invalid configuration at \`${key}\`: expected ${expected}`);
    return value;
  }
  string(key, fallback) { return this.typed(key, fallback, (v) => typeof v === "string", "a string"); }
  bool(key, fallback) { return this.typed(key, fallback, (v) => typeof v === "boolean", "true or false"); }
  number(key, fallback) { return this.typed(key, fallback, (v) => typeof v === "number", "a number"); }
  strings(key, fallback) {
    return this.typed(key, fallback, (v) => Array.isArray(v) && v.every((s) => typeof s === "string"),
      "a list of strings");
  }
  severity(key, fallback) {
    try {
      return severity(this.get(key, fallback));
    } catch (e) {
      throw e.message.startsWith("invalid configuration") ? e
        : new Error(`invalid configuration at \`${key}\`: ${e.message}`);
    }
  }
  checkAllRead() {
    const unknown = Object.keys(this.values).find((k) => !this.read.has(k));
    if (unknown !== undefined) throw new Error(`invalid configuration: unknown field \`${unknown}\``);
  }
}

/** An attribute value or body as a JS value: string, boolean, number,
 * BigInt (int64), Uint8Array (bytes), null (empty), or {json} for arrays
 * and maps (OTLP/JSON text). */
function toJs(value) {
  switch (value.tag) {
    case "empty": return null;
    case "json": return { json: value.val };
    default: return value.val;
  }
}

function toWit(value) {
  if (value === null || value === undefined) return { tag: "empty" };
  if (typeof value === "string") return { tag: "string", val: value };
  if (typeof value === "boolean") return { tag: "bool", val: value };
  if (typeof value === "bigint") return { tag: "int", val: value };
  if (typeof value === "number") {
    return Number.isInteger(value) ? { tag: "int", val: BigInt(value) } : { tag: "double", val: value };
  }
  if (value instanceof Uint8Array) return { tag: "bytes", val: value };
  if (typeof value.json === "string") return { tag: "json", val: value.json };
  return { tag: "string", val: String(value) };
}

/** The batch, owned by weir, valid during `process`. `of` is "record"
 * (default), "resource" or "scope". */
export class Batch {
  constructor(inner) { this.inner = inner; }
  get signal() { return this.inner.signal(); }
  get length() { return this.inner.len(); }
  severityNumbers() { return this.inner.severityNumbers(); }
  names() { return this.inner.names(); }
  attributeColumn(key, of = "record") {
    return this.inner.attributeColumn(of, key).map((v) => (v === undefined ? undefined : toJs(v)));
  }
  attributes(record, of = "record") {
    return this.inner.attributes(of, record).map(({ key, value }) => [key, toJs(value)]);
  }
  attribute(record, key, of = "record") {
    const value = this.inner.attribute(of, record, key);
    return value === undefined ? undefined : toJs(value);
  }
  setAttribute(record, key, value, of = "record") { this.inner.setAttribute(of, record, key, toWit(value)); }
  removeAttribute(record, key, of = "record") { return this.inner.removeAttribute(of, record, key); }
  body(record) { return toJs(this.inner.body(record)); }
  setBody(record, value) { this.inner.setBody(record, toWit(value)); }
}

const ALL = { tag: "all" };
const NONE = { tag: "none" };

/** What a plugin decided: which records go on, which go to routes. */
export class Outcome {
  constructor(keep) { this.keep = keep; this.routes = new Map(); }
  static keepAll() { return new Outcome(ALL); }
  static dropAll() { return new Outcome(NONE); }
  static keep(indices) { return new Outcome({ tag: "some", val: Uint32Array.from(indices) }); }
  /** Record i continues if flags[i]; keep-all or drop-all when all equal. */
  static keepWhere(flags) {
    const kept = [];
    let total = 0;
    for (const flag of flags) {
      if (flag) kept.push(total);
      total++;
    }
    if (kept.length === total) return Outcome.keepAll();
    return kept.length === 0 ? Outcome.dropAll() : Outcome.keep(kept);
  }
  /** These records (all if omitted) go to route `name`; none continues. */
  static route(name, indices) { return Outcome.dropAll().alsoRoute(name, indices); }
  /** Also sends these records (all if omitted) to route `name`. */
  alsoRoute(name, indices) {
    const parts = this.routes.get(name) ?? [];
    parts.push(indices);
    this.routes.set(name, parts);
    return this;
  }
  toWit() {
    const routes = [...this.routes].map(([name, parts]) => ({
      name,
      records: parts.some((p) => p === undefined) ? ALL
        : { tag: "some", val: Uint32Array.from(new Set(parts.flat())) },
    }));
    return { keep: this.keep, routes };
  }
}

/** Writes a line to weir's log: level "trace" | "debug" | "info" | "warn" | "error". */
export function log(level, message) { witLog(level, String(message)); }

function message(e) {
  return e instanceof Error ? e.message : String(e);
}

/** Makes the component's `processor` export from a plugin definition. */
export function plugin(definition) {
  const info = {
    name: definition.name,
    version: definition.version ?? "0.0.0",
    description: definition.description ?? "",
    signals: definition.signals ?? [],
  };
  return {
    describe: () => info,
    init(json) {
      try {
        const config = new Config(json);
        definition.init?.call(definition, config);
        config.checkAllRead();
      } catch (e) {
        throw message(e);
      }
    },
    process(batch) {
      try {
        const outcome = definition.process.call(definition, new Batch(batch));
        return (outcome ?? Outcome.keepAll()).toWit();
      } catch (e) {
        throw message(e);
      }
    },
  };
}
