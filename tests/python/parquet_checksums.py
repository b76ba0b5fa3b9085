"""Reads Parquet files with pyarrow and with pandas, as awswrangler users read a lake, and prints per column: the
Arrow type, the pandas dtype, and a checksum of the values (the count of non-null values, and the sum of the first
32 bits of the MD5 of each value's canonical text, mod 2^32): the same checksum tests/parquetChecks.ts computes in
DuckDB over the source CSV and in Trino. Input (argv[1], JSON): {"files": [...], "columns": [{"name", "type"}]}."""

import decimal
import hashlib
import json
import sys

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


def h(text: str) -> int:
    return int(hashlib.md5(text.encode("utf-8")).hexdigest()[:8], 16)


def canonical(kind: str, v) -> str:
    """The value's canonical text for the contract type `kind` (see tests/parquetChecks.ts)."""
    if kind == "string":
        return v
    if kind in ("int32", "int64"):
        return str(int(v))
    if kind == "float64":
        return "%.6f" % v
    if kind.startswith("decimal"):
        scale = int(kind.split(",")[1].rstrip(")"))
        return str(decimal.Decimal(v).quantize(decimal.Decimal(1).scaleb(-scale)))
    if kind == "boolean":
        return "true" if v else "false"
    if kind == "date":
        return v.isoformat()
    if kind == "timestamp":
        return str(int(v))  # microseconds since the epoch
    raise ValueError(f"no canonical text for {kind}")


def check(kind: str, values) -> list:
    n = 0
    s = 0
    for v in values:
        if v is None or (isinstance(v, float) and v != v) or v is pd.NaT:
            continue
        n += 1
        s = (s + h(canonical(kind, v))) % 4294967296
    return [n, s]


def arrow_values(kind: str, col: pa.ChunkedArray):
    if kind == "timestamp":
        unit = col.type.unit
        per = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": None}[unit]
        ints = pc.cast(col, pa.int64()).to_pylist()
        return [None if x is None else (x // 1000 if per is None else x * per) for x in ints]
    return col.to_pylist()


def pandas_values(kind: str, series: pd.Series):
    if kind == "timestamp":
        out = []
        for v in series:
            if v is pd.NaT or v is None:
                out.append(None)
                continue
            out.append(v.value // 1000)  # Timestamp.value is nanoseconds whatever the column's unit
        return out
    return list(series)


def main() -> None:
    spec = json.loads(open(sys.argv[1], encoding="utf-8").read())
    files = spec["files"]
    table = pa.concat_tables([pq.read_table(f) for f in files], promote_options="default")
    frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    out = {"rows": table.num_rows, "pandasRows": len(frame), "columns": {}}
    for c in spec["columns"]:
        name, kind = c["name"], c["type"]
        col = table.column(name)
        out["columns"][name] = {
            "arrow": str(col.type),
            "pandas": str(frame[name].dtype),
            "pyarrow": check(kind, arrow_values(kind, col)),
            "pandasCheck": check(kind, pandas_values(kind, frame[name])),
        }
    json.dump(out, sys.stdout)


main()
