"""Start Spark for callwarden, or say exactly what to install: the extra or a Java runtime.

This module imports PySpark only inside its functions, so the base install can import it and
turn a missing extra into one clear message.

>>> missing_java_message()[:38]
'the Spark engine needs a Java runtime '
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from callwarden.errors import InputFileError
from callwarden.features.engines.base import EngineMissingError
from callwarden.records.load import check_record_files
from callwarden.records.schema import RECORDS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "SparkMissingError",
    "is_uri",
    "missing_java_message",
    "read_records",
    "require_spark",
    "spark_session",
    "write_file",
]

INSTALL_EXTRA = "pip install 'callwarden[spark]'"
INSTALL_JAVA = "apt-get install -y openjdk-17-jre-headless"


class SparkMissingError(EngineMissingError):
    """PySpark (the ``spark`` extra) or the Java runtime Spark runs on is not installed."""


def missing_java_message() -> str:
    return (
        "the Spark engine needs a Java runtime (Java 17 or 21) and found no `java` on PATH or "
        f"in JAVA_HOME; install one (Debian/Ubuntu: `{INSTALL_JAVA}`) or set JAVA_HOME"
    )


def _java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def require_spark() -> None:
    """Raise :class:`SparkMissingError` with the install hint unless PySpark and Java are here."""
    missing = [m for m in ("pyspark", "pandas") if importlib.util.find_spec(m) is None]
    if missing:
        raise SparkMissingError(
            f"the Spark engine needs {' and '.join(missing)}, which the spark extra brings: "
            f"`{INSTALL_EXTRA}`"
        )
    if _java() is None:
        raise SparkMissingError(missing_java_message())


def spark_session(
    master: str | None = None,
    *,
    app_name: str = "callwarden",
    conf: dict[str, str] | None = None,
) -> SparkSession:
    """A SparkSession on ``master`` (``local[*]``, ``yarn``, ``spark://host:7077``, ``k8s://...``).

    Without ``master``, the one ``spark-submit`` was given (or ``local[*]`` in a plain Python
    process). An already running session (a notebook) is reused. Times are handled in UTC (the
    canonical records' zone); local hours use the ``timezone`` setting.
    """
    require_spark()
    if master is None or master.startswith("local"):
        # Local workers must be this interpreter (with callwarden in it); on a cluster the
        # executors' Python is spark.pyspark.python (see docs/scale-out.md).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession  # noqa: PLC0415  (optional extra)

    builder = SparkSession.builder.appName(app_name)
    if master is not None:
        builder = builder.master(master)
    builder = builder.config("spark.sql.session.timeZone", "UTC").config(
        "spark.ui.showConsoleProgress", "false"
    )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # py4j and Java raise many kinds; say what was tried
        raise SparkMissingError(
            f"Spark did not start on master {master!r} ({exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); check the master URL and the "
            f"Java runtime ({INSTALL_JAVA})"
        ) from None
    spark.sparkContext.setLogLevel("ERROR")
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    return spark


def is_uri(location: str) -> bool:
    """``hdfs://...``, ``s3a://...``, ``file:///...``: a Hadoop location rather than a local path.

    >>> is_uri("s3a://cdr/calls"), is_uri("city/calls")
    (True, False)
    """
    return "://" in location


def read_records(spark: SparkSession, location: str, record: str) -> DataFrame:
    """Canonical ``record`` rows from Parquet at a local path or any Hadoop-compatible URI.

    As with the embedded engine, ``location`` may be a file, a dataset folder (``day=``
    partitions are read, not turned into a column) or the output folder holding one.
    """
    from pyspark.sql.pandas.types import from_arrow_schema  # noqa: PLC0415

    spec = RECORDS[record]
    if not is_uri(location):
        path = Path(location)
        if not path.exists():
            raise InputFileError(path, "no such file or folder")
        if path.is_dir() and (path / record).is_dir():
            path = path / record
        check_record_files(path, record, need_key=True)
        location = str(path.resolve())
    schema = from_arrow_schema(pa.schema([f.with_nullable(True) for f in spec.schema]))
    try:
        frame = (
            spark.read.schema(schema)
            .option("recursiveFileLookup", "true")
            .option("pathGlobFilter", "*.parquet")
            .parquet(location)
        )
    except Exception as exc:  # AnalysisException and friends: the location cannot be read
        raise InputFileError(location, f"cannot be read as Parquet {record} ({exc})") from None
    return frame.select(*spec.columns)


def write_file(spark: SparkSession, where: str, data: bytes) -> None:
    """Write ``data`` as the file ``where`` (through Hadoop's file system: local, HDFS, S3),
    replacing one there."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None  # noqa: S101  (on the driver)
    path = jvm.org.apache.hadoop.fs.Path(where)
    stream = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).create(path, True)
    try:
        stream.write(bytearray(data))
    finally:
        stream.close()
