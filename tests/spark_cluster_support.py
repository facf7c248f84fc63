"""Spark servers the tests start themselves on loopback: a Spark Connect server, a standalone master with workers.

Each is a process group of its own (stopped by its id at the end), small (512 MB per JVM), and logs to
a folder of the test's. The scripts are pyspark's own (``$SPARK_HOME/sbin``, ``bin/spark-class``).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from engine_support import missing, require

MEMORY = "512m"


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(logs: Path) -> dict[str, str]:
    env = dict(os.environ, SPARK_HOME=str(spark_home()), SPARK_LOG_DIR=str(logs), SPARK_PID_DIR=str(logs),
               SPARK_LOCAL_IP="127.0.0.1", SPARK_NO_DAEMONIZE="1")
    env.pop("SPARK_REMOTE", None)
    env.pop("PYSPARK_SUBMIT_ARGS", None)
    return env


def _wait_for(port: int, process: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Spark process exited ({process.returncode}): {log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s: {log.read_text(errors='replace')[-2000:]}")


def _start(command: list[str], logs: Path, name: str, **env: str) -> tuple[subprocess.Popen, Path]:
    log = logs / f"{name}.log"
    handle = log.open("wb")
    process = subprocess.Popen(command, env={**_env(logs), **env}, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    handle.close()
    return process, log


def stop(processes: list[subprocess.Popen]) -> None:
    """Each process group the tests started, by its id: TERM, then KILL what is left."""
    for p in processes:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in processes:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def connect_server(logs: Path, extra_jars: tuple[str, ...] = (), jdbc: bool = True) -> tuple[str, list[subprocess.Popen]]:
    """A Spark Connect server (local[2] driver, the JDBC jars and ``extra_jars`` on its class path): its sc:// URL
    and process."""
    require("spark")
    from toolkit.run.engines.spark_cluster import JAVA_OPTIONS, jars

    if jdbc and len(jars()) < 2:
        missing("the JDBC drivers are missing: apt-get install -y libpostgresql-jdbc-java libmariadb-java")
    port = free_port()
    warehouse = logs / "warehouse"
    command = [str(spark_home() / "sbin" / "start-connect-server.sh"), "--wait", "--master", "local[2]",
               "--driver-memory", MEMORY, "--jars", ",".join([*jars(), *extra_jars]),
               "--conf", f"spark.connect.grpc.binding.port={port}", "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
               "--conf", f"spark.driver.extraJavaOptions={JAVA_OPTIONS}",
               "--conf", f"spark.sql.warehouse.dir={warehouse}", "--conf", "spark.ui.enabled=false",
               "--conf", "spark.sql.shuffle.partitions=2", "--conf", "spark.sql.session.timeZone=UTC"]
    process, log = _start(command, logs, "connect")
    try:
        _wait_for(port, process, log)
    except RuntimeError:
        stop([process])
        raise
    return f"sc://127.0.0.1:{port}", [process]


def standalone_cluster(logs: Path, workers: int = 2, memory: str = MEMORY) -> tuple[str, list[subprocess.Popen]]:
    """A standalone master and ``workers`` workers (1 core, ``memory`` each) on loopback: its spark:// URL and processes."""
    require("spark")
    port = free_port()
    spark_class = str(spark_home() / "bin" / "spark-class")
    master, log = _start([spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
                          "--webui-port", str(free_port())], logs, "master", SPARK_DAEMON_MEMORY="256m")
    processes = [master]
    try:
        _wait_for(port, master, log)
        url = f"spark://127.0.0.1:{port}"
        for i in range(workers):
            work = logs / f"worker{i}"
            work.mkdir(exist_ok=True)
            worker, _ = _start([spark_class, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1",
                                "--memory", memory, "--webui-port", str(free_port()), "--work-dir", str(work), url],
                               logs, f"worker{i}", SPARK_DAEMON_MEMORY="256m")
            processes.append(worker)
        _wait_for_workers(logs, workers)
    except RuntimeError:
        stop(processes)
        raise
    return url, processes


def _wait_for_workers(logs: Path, workers: int, seconds: float = 90) -> None:
    """The master's log says each worker registered."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (logs / "master.log").read_text(errors="replace").count("Registering worker") >= workers:
            return
        time.sleep(0.5)
    raise RuntimeError(f"{workers} workers did not register with the master in {seconds} s")


def stop_local_session() -> None:
    """Stop the local (classic) session other test modules share: pyspark refuses a Spark Connect session in a
    process that runs a regular one. The next module that needs it starts a new one (engine_support)."""
    import engine_support

    while engine_support._SPARK:
        engine_support._SPARK.pop().stop()


def release_client() -> None:
    """Close this process's Spark Connect session first: a client left open retries a stopped server for minutes;
    and leave Connect mode (pyspark marks the whole process once a remote session starts: later modules' local
    sessions would be built as remote ones without a URL)."""
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    session = ConnectSession.getActiveSession() or getattr(ConnectSession, "_default_session", None)
    if session is not None:
        session.stop()
    for name in ("SPARK_CONNECT_MODE_ENABLED", "SPARK_REMOTE"):
        os.environ.pop(name, None)
