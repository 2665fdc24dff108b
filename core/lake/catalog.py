"""The workspace's Iceberg catalog: pyiceberg's SQL catalog in the product's own database (its tables
``iceberg_tables`` and ``iceberg_namespace_properties``, created by pyiceberg on first use) over a warehouse of
local files. Every tenant has its own namespaces ``(tenant_id, schema)``, and its tables live under
``<warehouse>/<tenant_id>/<schema>/<table>``: callers always name the tenant, so one tenant never reaches
another's tables."""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

import pyarrow as pa

from core.errors import NotFound
from core.lake.types import lake_ready

if TYPE_CHECKING:
    from pyiceberg.catalog.sql import SqlCatalog
    from pyiceberg.table import Table

SCHEMAS = ("bronze", "silver", "gold")
# Upload speed first (bench/datalake.py): snappy as the file store's Parquet files (pyiceberg's default zstd is
# slower to write), and dictionary pages of at most 64 kB, so a column of many distinct values (floats, ids) falls
# back to plain encoding at once instead of after a 1 MB dictionary (writes ~1.5x faster, files ~6% larger; a
# column of few values, a category, keeps its dictionary).
TABLE_PROPERTIES = {"write.parquet.compression-codec": "snappy", "write.parquet.dict-size-bytes": "65536"}
CATALOG_NAME = "dataml"


class Lake:
    """Opens the catalog on first use (pyiceberg and its database connection cost ~0.2 s)."""

    def __init__(self, database_url: str, warehouse: Path) -> None:
        self.database_url, self.warehouse = database_url, warehouse
        self._lock = threading.Lock()

    @cached_property
    def catalog(self) -> SqlCatalog:
        from pyiceberg.catalog.sql import SqlCatalog

        self.warehouse.mkdir(parents=True, exist_ok=True)
        with self._lock:
            return SqlCatalog(CATALOG_NAME, uri=self.database_url, warehouse=self.warehouse.as_uri())

    def location(self, tenant_id: str, schema: str, table: str) -> Path:
        return self.warehouse / tenant_id / schema / table

    def tables(self, tenant_id: str, schema: str) -> list[str]:
        """Names of the tenant's tables in ``schema`` (none before its first write)."""
        from pyiceberg.exceptions import NoSuchNamespaceError

        try:
            return sorted(ident[-1] for ident in self.catalog.list_tables((tenant_id, schema)))
        except NoSuchNamespaceError:
            return []

    def load(self, tenant_id: str, schema: str, table: str) -> Table:
        from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError

        try:
            return self.catalog.load_table((tenant_id, schema, table))
        except (NoSuchTableError, NoSuchNamespaceError):
            raise NotFound(f"There is no table {schema}.{table}.") from None

    def write(
        self,
        tenant_id: str,
        schema: str,
        table: str,
        data: pa.Table,
        *,
        overwrite: bool = False,
        properties: dict[str, str] | None = None,
    ) -> int:
        """Append ``data`` (or replace the rows with it) as one Iceberg snapshot, creating the table on the first
        write and adding columns it has not seen (by name); returns the snapshot id. ``properties`` go into the
        snapshot's summary (who wrote it, from what)."""
        from pyiceberg.exceptions import NoSuchTableError

        data = lake_ready(data)
        identifier = (tenant_id, schema, table)
        self.catalog.create_namespace_if_not_exists((tenant_id, schema))
        try:
            target = self.catalog.load_table(identifier)
        except NoSuchTableError:
            location = self.location(tenant_id, schema, table)
            target = self.catalog.create_table(
                identifier, schema=data.schema, location=location.as_uri(), properties=TABLE_PROPERTIES
            )
        if not set(data.column_names) <= set(target.schema().column_names):
            with target.update_schema() as update:
                update.union_by_name(data.schema)
        if overwrite and target.current_snapshot() is not None:
            target.overwrite(data, snapshot_properties=properties or {})
        else:
            target.append(data, snapshot_properties=properties or {})
        snapshot = target.current_snapshot()
        assert snapshot is not None
        return snapshot.snapshot_id

    def drop(self, tenant_id: str, schema: str, table: str) -> None:
        self.catalog.purge_table((tenant_id, schema, table))

    def close(self) -> None:
        if "catalog" in self.__dict__:
            self.catalog.engine.dispose()


def data_files(table: Table, snapshot_id: int | None = None) -> list[Path]:
    """Local paths of the Parquet files holding the table's rows (at ``snapshot_id``; none for an empty
    table). The lake only appends and overwrites, so there are no delete files to apply."""
    if snapshot_id is None and table.current_snapshot() is None:
        return []
    return [
        Path(unquote(urlparse(task.file.file_path).path)) for task in table.scan(snapshot_id=snapshot_id).plan_files()
    ]
