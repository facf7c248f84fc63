"""`dict serve`: translators and interaction policies over HTTP (FastAPI on uvicorn)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from toolkit.cli import ProjectOpt, _guard, app, out


@app.command()
@_guard
def serve(
    database: Optional[str] = typer.Option(None, "--database", help="The canonical store related records are read from: "
                                           "a DuckDB file holding the integrated views (e.g. demo-output/estate.duckdb) "
                                           "or a server URL (postgresql://user@host/db?schema=S, mysql://user@host/db)."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8018, help="Port to listen on."),
    project: Path = ProjectOpt,
) -> None:
    """Serve POST /translate/{source}/{class}, POST /events/{source}/{table} and GET /health (OpenAPI at /docs)."""
    from toolkit.core.errors import DictError, Problem
    from toolkit.load.introspect import is_url
    from toolkit.plan import load_plan
    from toolkit.run.serve import serve as run

    store = database if database is None or is_url(database) else Path(database)
    if isinstance(store, Path) and not store.is_file():
        raise DictError(Problem(database, 1, "no such DuckDB file", "run `dict demo` first, or leave --database out"))
    plan = load_plan(project)
    out.print(f"serving {len(plan.sources)} sources and {len(plan.policies)} policies on http://{host}:{port} "
              f"(OpenAPI: /docs)", highlight=False)
    run(plan, store, host, port)
