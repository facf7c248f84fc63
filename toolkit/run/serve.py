"""`dict serve`: the translators and the interaction policies behind an HTTP service (FastAPI on uvicorn).

  POST /translate/{source}/{class}  a legacy record -> the canonical record(s), or a reject with its reason
  POST /events/{source}/{table}     a legacy record -> canonical records -> the actions the policies fire, and why
  GET  /health                      liveness, and the counts: records in = canonical + rejected

Translation runs the generated record translators (``toolkit.run.translate.load_translator``: the SQL views'
meaning), policies the generated evaluator (``toolkit.emit.policies``). The records a policy reads
through references come from the canonical store: a DuckDB database holding the integrated views or tables
(``dict demo`` leaves one) or a PostgreSQL/MySQL server by URL, read into memory at start and overlaid
with the records the service has seen. Nothing is lost: a body that is
not a JSON object is a 400 naming the problem and counts as a reject; a translator failure is a reject too.
"""
from __future__ import annotations

import threading
import types
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from toolkit.load.dictionary import ClassDef
from toolkit.emit.policies import python_module
from toolkit.plan import Plan, ViewPlan
from toolkit.run.translate import _json_record, _json_value, _missing_column, load_translator, required_columns
from toolkit.core.types import Type

MAX_BODY_BYTES = 1024 * 1024
_JSON_TYPES = {Type.STRING: "string", Type.INTEGER: "integer", Type.DECIMAL: "string", Type.FLOAT: "number",
               Type.BOOLEAN: "boolean", Type.DATE: "string", Type.DATETIME: "string"}
_FORMATS = {Type.DATE: "date", Type.DATETIME: "date-time", Type.DECIMAL: "decimal"}


@dataclass
class Counts:
    """Every derivation a record went through ends canonical or rejected: records_in = canonical + rejected."""

    records_in: int = 0
    canonical: int = 0
    rejected: int = 0
    actions: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, canonical: int = 0, rejected: int = 0, actions: int = 0) -> None:
        with self.lock:
            self.records_in += canonical + rejected
            self.canonical += canonical
            self.rejected += rejected
            self.actions += actions


class CanonicalStore:
    """Canonical records by class and identifier: a DuckDB database's integrated views (one per class, named
    after it), read into memory once at start so a lookup costs a dictionary access, not a run of the views;
    the records this service receives are added over them."""

    def __init__(self, plan: Plan, database: Path | str | None = None):
        self.classes = plan.dictionary.classes
        self.records: dict[tuple[str, str], dict] = {}
        self.lock = threading.Lock()
        if isinstance(database, str):
            self._load_url(database)
        elif database is not None:
            self._load(database)

    def _load_url(self, text: str) -> None:
        """A live server (postgresql://…, mysql://…; ``?schema=S`` names the schema of the views)."""
        import sqlalchemy

        from toolkit.load.introspect import _url

        url = _url(text)
        schema = url.query.get("schema")
        url = url.difference_update_query(["schema"])
        engine = sqlalchemy.create_engine(url)
        try:
            with engine.connect() as con:
                inspector = sqlalchemy.inspect(con)
                present = set(inspector.get_table_names(schema)) | set(inspector.get_view_names(schema))
                for name, cls in self.classes.items():
                    if cls.table_name in present and cls.identifier is not None:
                        rows = con.execute(sqlalchemy.select(sqlalchemy.text("*")).select_from(
                            sqlalchemy.table(cls.table_name, schema=schema))).mappings()
                        for row in rows:
                            self.records[(name, row[cls.identifier.name])] = dict(row)
        finally:
            engine.dispose()

    def _load(self, database: Path) -> None:
        import duckdb
        from sqlglot import exp

        with duckdb.connect(str(database), read_only=True) as con:
            present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
            for name, cls in self.classes.items():
                if cls.table_name not in present or cls.identifier is None:
                    continue
                cursor = con.execute(exp.select("*").from_(
                    exp.Table(this=exp.to_identifier(cls.table_name, quoted=True))).sql(dialect="duckdb"))
                columns = [d[0] for d in cursor.description]
                key = columns.index(cls.identifier.name)
                for row in cursor.fetchall():
                    self.records[(name, row[key])] = dict(zip(columns, row))

    def get(self, class_name: str, identifier) -> dict | None:
        return self.records.get((class_name, identifier)) if isinstance(identifier, str) else None

    def put(self, class_name: str, record: dict) -> str:
        """'new', 'changed' or 'unchanged': how this record compares with what the store holds."""
        key = self.classes[class_name].identifier
        identifier = record.get(key.name) if key else None
        if not isinstance(identifier, str):
            return "new"
        with self.lock:
            before = self.records.get((class_name, identifier))
            self.records[(class_name, identifier)] = record
        if before is None:
            return "new"
        same = all(_json_value(before.get(k)) == _json_value(v) for k, v in record.items() if not k.startswith("_"))
        return "unchanged" if same else "changed"


class Service:
    """The translators of every source and the policy evaluator, compiled once from the plan."""

    def __init__(self, plan: Plan, store: CanonicalStore):
        self.plan = plan
        self.store = store
        self.counts = Counts()
        self.translators = {s.name: load_translator(plan, s.name) for s in plan.sources}
        self.policies = types.ModuleType("dict_policies")
        exec(compile(python_module(plan), "generated/policies/python/policies.py", "exec"), self.policies.__dict__)
        self.required = {v.view_name: required_columns(v) for s in plan.sources for v in s.views}
        self.suppressed: set = set()
        self.suppress_lock = threading.Lock()

    # ------------------------------------------------------------------ routing
    def views_for_class(self, source: str, class_name: str) -> list[ViewPlan] | str:
        src = next((s for s in self.plan.sources if s.name == source), None)
        if src is None:
            return f"no mapping for source '{source}' (mapped: {', '.join(s.name for s in self.plan.sources)})"
        views = [v for v in src.views if v.target.name == class_name and not v.grouped]
        if not views:
            classes = sorted({v.target.name for v in src.views if not v.grouped})
            return f"source '{source}' translates no class '{class_name}' record by record (classes: {', '.join(classes)})"
        return views

    def views_for_table(self, source: str, table: str) -> list[ViewPlan] | str:
        src = next((s for s in self.plan.sources if s.name == source), None)
        if src is None:
            return f"no mapping for source '{source}' (mapped: {', '.join(s.name for s in self.plan.sources)})"
        views = [v for v in src.views if v.base.table.name == table and not v.grouped]
        if not views:
            tables = sorted({v.base.table.name for v in src.views if not v.grouped})
            return f"no derivation of source '{source}' is driven by table '{table}' (tables: {', '.join(tables)})"
        return views

    # ------------------------------------------------------------------ work
    def translate(self, source: str, views: list[ViewPlan], record: dict) -> list[dict]:
        """One result per derivation: the canonical record, or the reject with its reason."""
        module = self.translators[source]
        out = []
        for view in views:
            missing = _missing_column(view, self.required[view.view_name], record)
            if missing:
                out.append(_rejected(view, missing, "input"))
                continue
            try:
                result = module.DERIVATIONS[view.name](record)
            except Exception as err:   # a translator bug must not lose the record: it is a reject naming it
                out.append(_rejected(view, f"translator error: {type(err).__name__}: {err}", "error"))
                continue
            if isinstance(result, module.Reject):
                out.append({**_rejected(view, result.reason, result.rule), "slot": result.slot,
                            "value": _json_value(result.value)})
            else:
                out.append({"derivation": view.name, "class": view.target.name, "status": "canonical", "record": result})
        self.counts.add(canonical=sum(r["status"] == "canonical" for r in out),
                        rejected=sum(r["status"] == "rejected" for r in out))
        return out

    def fire(self, results: list[dict]) -> list[dict]:
        """Each canonical record is an event (new, changed or unchanged); the actions the policies fire for it."""
        for result in results:
            if result["status"] != "canonical":
                continue
            kind = self.store.put(result["class"], result["record"])
            result["event"] = kind
            if kind == "unchanged":
                result["actions"] = []
                continue
            try:
                with self.suppress_lock:
                    actions = self.policies.evaluate(result["class"], result["record"], self.store.get, kind,
                                                     self.suppressed)
            except Exception as err:   # a related record the store holds in an unexpected shape
                result["actions"], result["policy_error"] = [], f"{type(err).__name__}: {err}"
                continue
            result["actions"] = actions
            self.counts.add(actions=len(actions))
        return results


def _rejected(view: ViewPlan, reason: str, rule: str) -> dict:
    return {"derivation": view.name, "class": view.target.name, "status": "rejected", "reason": reason, "rule": rule}


# ----------------------------------------------------------------------------- OpenAPI from the dictionary

def class_schema(cls: ClassDef) -> dict:
    properties = {}
    for slot in cls.slots:
        prop = {"type": [_JSON_TYPES[slot.type], "null"], "description": slot.description}
        if slot.type in _FORMATS:
            prop["format"] = _FORMATS[slot.type]
        if slot.enum is not None:
            prop["enum"] = [*slot.enum.texts, None]
        properties[slot.name] = prop
    return {"type": "object", "title": cls.name, "description": cls.description, "properties": properties}


def table_schema(view: ViewPlan) -> dict:
    table = view.base.table
    properties = {name: {"type": [_JSON_TYPES[c.type], "null"], "description": c.description or c.native_type}
                  for name, c in table.columns.items()}
    return {"type": "object", "title": f"{view.source}.{table.name}", "properties": properties,
            "required": list(required_columns(view))}


# ----------------------------------------------------------------------------- the app

def create_app(plan: Plan, database: Path | str | None = None) -> FastAPI:
    service = Service(plan, CanonicalStore(plan, database))
    app = FastAPI(title="dict service", version=plan.dictionary.version,
                  description=f"Translators and interaction policies over the dictionary '{plan.dictionary.name}'.")
    app.state.service = service

    def reply(status: int, payload) -> JSONResponse:
        return JSONResponse(status_code=status, content=_json_value(payload))

    async def body_of(request: Request) -> dict | JSONResponse:
        """The JSON object in the body, or the 4xx reply naming what is wrong with it (counted as a reject)."""
        data = await request.body()
        if len(data) > MAX_BODY_BYTES:
            return bad_body(413, f"the body is {len(data)} bytes; at most {MAX_BODY_BYTES} are accepted")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            return bad_body(400, f"the body is not UTF-8 (byte {err.start})")
        item = _json_record(1, text)
        if item.record is None:
            return bad_body(400, item.problem.removeprefix("line 1: "))
        return item.record

    def bad_body(status: int, problem: str) -> JSONResponse:
        service.counts.add(rejected=1)
        return reply(status, {"status": "rejected", "reason": problem, "rule": "input"})

    @app.get("/health")
    def health():
        c = service.counts
        return {"status": "ok", "dictionary": plan.dictionary.name, "sources": [s.name for s in plan.sources],
                "policies": [p.name for p in plan.policies],
                "counts": {"in": c.records_in, "canonical": c.canonical, "rejected": c.rejected, "actions": c.actions}}

    @app.post("/translate/{source}/{class_name}", openapi_extra=_any_object("A legacy record of the source"))
    async def translate(source: str, class_name: str, request: Request):
        views = service.views_for_class(source, class_name)
        if isinstance(views, str):
            return reply(404, {"status": "unknown", "reason": views})
        record = await body_of(request)
        if not isinstance(record, dict):
            return record
        return reply(200, {"results": service.translate(source, views, record)})

    @app.post("/events/{source}/{table}", openapi_extra=_any_object("A legacy record of the source table"))
    async def events(source: str, table: str, request: Request):
        views = service.views_for_table(source, table)
        if isinstance(views, str):
            return reply(404, {"status": "unknown", "reason": views})
        record = await body_of(request)
        if not isinstance(record, dict):
            return record
        return reply(200, {"results": service.fire(service.translate(source, views, record))})

    _document(app, plan)
    return app


def _any_object(description: str) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"type": "object", "description": description}}}}}


def _document(app, plan: Plan) -> None:
    """The OpenAPI document names every canonical class (its slots, types, codes) and every source table a
    record may come from, from the dictionary and the source schemas."""
    original = app.openapi

    def openapi():
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, cls in plan.dictionary.classes.items():
            components[f"canonical.{name}"] = class_schema(cls)
        for source in plan.sources:
            for view in source.views:
                if not view.grouped:
                    components[f"source.{source.name}.{view.base.table.name}"] = table_schema(view)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi


def serve(plan: Plan, database: Path | str | None, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(create_app(plan, database), host=host, port=port, log_level="warning")
