"""How processes share the store file: an import never waits for the dashboard's readers, and readers never see
a half-written import.

DuckDB lets a process open a file read-write only while no other process has it open at all (not even read-only):
an import straight into the file the dashboard reads failed with "Could not set lock on file". So an import
(`writing()`):

1. takes `<store>.lock` (flock, per open file, so two imports in one process exclude each other too); a second
   import gets `StoreBusy` (Chinese message; the CLI exits with `BUSY_EXIT`);
2. copies the store to `<store>.import-<pid>` while holding a read-only DuckDB lock on it (so no outside writer is
   mid-write), together with its WAL if one was left behind;
3. writes into the copy;
4. if something was stored: fsyncs the copy and `os.replace`s it over the store (atomic). Readers that have the old
   file open finish their query on it; the next query opens the new file. If nothing was stored (refused, dry
   run, an exception, a crash) the copy is deleted: the store is untouched, byte for byte and mtime (a cache key).

Readers (`open_reader`, used by ui/conn.py) open the store through a private, uniquely named hard link that is
removed at once: DuckDB caches open databases by path and would otherwise hand back the replaced file while any
cursor on it is alive.
"""
from __future__ import annotations

import fcntl
import glob
import os
import re
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from . import store

BUSY_EXIT = 3   # DATA.md: 1 refused input, 2 usage; 3 the store is being written by another import


class StoreBusy(Exception):
    """The store's write lock is held by another import (or an outside program has the file open read-write)."""

    def __init__(self, message: str = "数据库正被另一个导入任务写入，请稍后再试。"):
        super().__init__(message)


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


@dataclass
class Writing:
    con: duckdb.DuckDBPyConnection
    path: Path          # the store
    work: Path          # the copy being written
    keep: bool = True

    def discard(self) -> None:
        """Publish nothing: the store stays as it was."""
        self.keep = False


def _is_lock_error(e: Exception) -> bool:
    return "lock" in str(e).lower()


def _remove(p: Path) -> None:
    for q in (p, p.with_name(p.name + ".wal")):
        try:
            q.unlink()
        except FileNotFoundError:
            pass


@contextmanager
def _flock(path: Path, wait_seconds: float):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreBusy() from None
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)        # releases the flock


@contextmanager
def writing(path: str | os.PathLike, wait_seconds: float = 0.0):
    """A read-write connection on a copy of the store, published atomically on a clean exit unless discarded."""
    path = Path(path)
    with _flock(path, wait_seconds):
        for stale in glob.glob(glob.escape(str(path)) + ".import-*"):   # left by a killed import (we hold the lock)
            if re.fullmatch(r"\d+", stale.rsplit(".import-", 1)[1]):
                _remove(Path(stale))
        remove_stale_links(path)
        work = path.with_name(f"{path.name}.import-{os.getpid()}")
        _remove(work)
        if path.exists():
            try:
                guard = duckdb.connect(str(path), read_only=True)
            except duckdb.Error as e:
                if _is_lock_error(e):
                    raise StoreBusy("数据库文件正被其他程序以写入方式打开，请关闭后再导入。") from None
                raise
            try:
                shutil.copyfile(path, work)
                wal = path.with_name(path.name + ".wal")
                if wal.exists():
                    shutil.copyfile(wal, work.with_name(work.name + ".wal"))
            finally:
                guard.close()
        con = None
        try:
            con = store.connect(work)
            w = Writing(con, path, work)
            yield w
            if w.keep:
                from metrics import month_parts

                month_parts.refresh(con)        # the board inputs of the months the import touched, before publishing
            con.execute("checkpoint")
            con.close()
            con = None
            if w.keep:
                fd = os.open(work, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.replace(work, path)
                dfd = os.open(path.parent, os.O_RDONLY)
                try:
                    os.fsync(dfd)
                finally:
                    os.close(dfd)
        finally:
            if con is not None:
                con.close()
            _remove(work)


def reader_link(path: Path, tag: str) -> Path:
    """A private name for the store's current file: `.<store>.<tag>-<pid>-<random>` (the pid lets a later import
    remove the links of processes killed between making and removing them, which would pin an old file)."""
    return path.with_name(f".{path.name}.{tag}-{os.getpid()}-{uuid.uuid4().hex[:12]}")


def remove_stale_links(path: Path) -> None:
    for p in path.parent.glob(f".{glob.escape(path.name)}.*-*-*"):
        m = re.fullmatch(r"\.(.+)\.(reader|sql)-(\d+)-[0-9a-f]+", p.name)
        if not m or m.group(1) != path.name:
            continue
        try:
            os.kill(int(m.group(3)), 0)
            continue                        # its process is alive: it removes the link itself
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def open_reader(path: str | os.PathLike) -> duckdb.DuckDBPyConnection:
    """The store opened read-only (external access off, configuration locked) by its current file."""
    path = Path(path)
    if not path.exists():
        with writing(path, wait_seconds=30):
            pass            # creates the schema in a copy and publishes it
    for attempt in range(2):
        link = reader_link(path, "reader")
        try:
            os.link(path, link)
        except OSError:     # a file system without hard links: open by name (an import then shows after a restart)
            return store.connect(path, read_only=True)
        try:
            con = duckdb.connect(str(link), read_only=True, config=store._READ_ONLY_CONFIG)
        finally:
            link.unlink()
        try:
            store._check_not_newer(path, store.applied_versions(con))
            if not store.needs_upgrade(con):
                return con
        except Exception:
            con.close()
            raise
        con.close()
        if attempt == 0:
            # an older store: migrate a copy and swap it in, like an import (readers of the old file go on)
            with writing(path, wait_seconds=30):
                pass
    raise store.StoreNeedsUpgrade(f"数据库 {path.name} 升级后仍无法打开，请运行 python cli.py migrate。")
