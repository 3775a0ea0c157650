"""Throw-away databases: a temporary SQLite file, or a dedicated database on the PostgreSQL
server that DATABASE_URL points at (created for the run and dropped after it)."""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


class ThrowawayDatabase:
    def __init__(self, *, label: str, workdir: Path, server_url: str | None) -> None:
        self.label = label
        self.server_url = server_url
        self.created = False
        if server_url:
            parts = urlsplit(server_url)
            if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
                raise SystemExit(
                    f"DATABASE_URL must be a PostgreSQL URL for the benchmark, not {parts.scheme}:"
                )
            self.name = f"socialcraft_bench_{os.getpid()}_{secrets.token_hex(3)}_{label}"
            self.url = urlunsplit(parts._replace(path="/" + self.name))
        else:
            self.path = workdir / f"{label}.sqlite3"
            self.name = str(self.path)
            self.url = f"sqlite:///{self.path}"

    @property
    def vendor(self) -> str:
        return "postgresql" if self.server_url else "sqlite"

    def _admin_connection(self):
        """A connection to the server's maintenance database (or the one named in the URL)."""
        import psycopg

        parts = urlsplit(self.server_url)
        problems = []
        for database in ("postgres", parts.path.lstrip("/"), "template1"):
            if not database:
                continue
            try:
                url = urlunsplit(parts._replace(scheme="postgresql", path="/" + database))
                return psycopg.connect(url, autocommit=True, connect_timeout=10)
            except psycopg.OperationalError as error:
                problems.append(f"{database}: {error}")
        raise SystemExit("Cannot reach the PostgreSQL server:\n" + "\n".join(problems))

    def create(self) -> None:
        if self.server_url:
            from psycopg import sql

            with self._admin_connection() as connection:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        self.created = True

    def backend_pids(self) -> list[int]:
        """PostgreSQL server processes serving this database (the workers' persistent
        connections), when the server runs on this machine; [] otherwise."""
        if not self.server_url or not self.created:
            return []
        if not hasattr(self, "_watch"):
            self._watch = self._admin_connection()
        rows = self._watch.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [self.name],
        ).fetchall()
        local = []
        for (pid,) in rows:
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip().startswith("postgres"):
                    local.append(pid)
            except OSError:
                continue  # a remote server, or a process we may not read
        return local

    def drop(self) -> None:
        if hasattr(self, "_watch"):
            self._watch.close()
            del self._watch
        if not self.created:
            return
        if self.server_url:
            from psycopg import sql

            with self._admin_connection() as connection:
                connection.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(self.name)
                    )
                )
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        self.created = False
