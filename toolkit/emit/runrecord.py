"""`dict run --record`: what a run counted per derivation (rows, canonical, rejected, reject reasons), kept as
runs/latest.json in the project so the docs site charts the last run (its run page).

The record holds counts and reasons only: never the data's location (a URL may carry a password) nor rows.
It is an input of the docs generator like the mappings: after recording, `dict generate docs` shows it.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

RECORD = Path("runs") / "latest.json"
FORMAT = 1
MAX_BYTES = 16 * 1024 * 1024


def record_of(result, engine: str) -> dict:
    """The record of a run (a report.RunResult or the Spark equivalent)."""
    return {
        "format": FORMAT,
        "recorded_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "engine": engine,
        "balanced": bool(result.balanced),
        "derivations": [{
            "source": r.view.source, "derivation": r.view.name, "class": r.view.target.name,
            "grouped": bool(r.view.grouped), "source_rows": int(r.source_rows), "canonical": int(r.canonical),
            "rejected": int(r.rejected), "balanced": bool(r.balanced),
            "reasons": [{"reason": str(reason), "rows": int(n)} for reason, n in r.reasons],
        } for r in result.reconciliations],
        "integrated": {str(k): int(v) for k, v in result.integrated.items()},
    }


def write_record(root: Path, result, engine: str) -> Path:
    from toolkit.core.output import write_file_atomic

    path = root / RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    write_file_atomic(path, json.dumps(record_of(result, engine), ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    return path


def load_record(root: Path | None) -> tuple[dict | None, str]:
    """(the project's last run record, "") or (None, why not): missing, unreadable or not a record."""
    if root is None:
        return None, "no project folder"
    path = root / RECORD
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, "missing"
    except OSError as exc:
        return None, f"{RECORD.as_posix()} cannot be read: {exc.strerror}"
    from toolkit.load.yamlsource import READ_WATCHERS

    for watcher in READ_WATCHERS:   # an input of the docs: the regeneration cache follows it
        watcher(path, data)
    if len(data) > MAX_BYTES:
        return None, f"{RECORD.as_posix()} is over {MAX_BYTES // 2**20} MiB"
    try:
        record = json.loads(data.decode("utf-8"))
        return _checked(record), ""
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        return None, f"{RECORD.as_posix()} is not a run record ({type(exc).__name__}: {str(exc)[:200]})"


def _checked(record) -> dict:
    """The record with every field of the expected type (a hand-edited or foreign file is refused, not trusted)."""
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ValueError(f"format is not {FORMAT}")
    derivations = []
    for d in record["derivations"]:
        reasons = [{"reason": str(r["reason"]), "rows": _count(r["rows"])} for r in d["reasons"]]
        derivations.append({"source": str(d["source"]), "derivation": str(d["derivation"]), "class": str(d["class"]),
                            "grouped": bool(d.get("grouped")), "source_rows": _count(d["source_rows"]),
                            "canonical": _count(d["canonical"]), "rejected": _count(d["rejected"]),
                            "balanced": bool(d.get("balanced", True)), "reasons": reasons})
    integrated = {str(k): _count(v) for k, v in dict(record.get("integrated", {})).items()}
    return {"recorded_at": str(record.get("recorded_at", "")), "engine": str(record.get("engine", "")),
            "balanced": bool(record.get("balanced", True)), "derivations": derivations, "integrated": integrated}


def _count(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{value!r} is not a row count")
    return value


def chart(record: dict, width: int = 640, bar: int = 18) -> dict:
    """Bars for an inline SVG: per derivation, canonical and rejected rows as two segments of one bar scaled to
    the largest derivation; the template draws them (every name goes in as text, escaped by the template)."""
    rows = record["derivations"]
    most = max([d["canonical"] + d["rejected"] for d in rows] + [1])
    label, scale = 260, (width - 260 - 80) / most
    bars = []
    for i, d in enumerate(rows):
        ok, bad = d["canonical"] * scale, d["rejected"] * scale
        bars.append({"y": i * (bar + 6), "label": f"{d['source']} {d['derivation']}", "canonical": d["canonical"],
                     "rejected": d["rejected"], "x": label, "ok": round(ok, 1), "bad": round(bad, 1),
                     "end": round(label + ok + bad + 6, 1)})
    return {"width": width, "height": max(1, len(rows)) * (bar + 6), "bar": bar, "bars": bars, "label": label}
