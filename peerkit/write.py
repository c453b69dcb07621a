"""The only module that writes outputs to disk: one transaction per command.

A command computes everything it will write, then `write_files` checks every target,
writes the new files into a staging folder inside the program folder, and moves them
into place, keeping the files it replaces as backups there. Interrupted or failing at
any point, the folder is put back as it was; `calendars.yaml` (the record of what
members were sent) goes last, once every file it describes is in place. A lock on the
program folder keeps a second command from writing at the same time.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import posixpath
import shutil
import signal
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path

from peerkit.errors import PeerkitError

LOCK_FILE = ".peerkit.lock"
STAGING = ".peerkit-staging"
# Written after every other file: each one describes files that must already be in place.
LAST = ("calendars.yaml",)
_PLAN = "plan.json"

_held: dict[Path, int] = {}  # program folders this process holds the lock of → depth


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Ctrl-C (and SIGTERM) wait until the block ends: moving files into place, or back,
    must not stop halfway. A fault raised inside the block still rolls back.

    The handlers are swapped rather than the signals blocked, so that a signal that
    another thread (a progress spinner) receives waits as well."""
    caught: list[int] = []

    def later(signum: int, frame: object) -> None:
        caught.append(signum)

    try:
        old = {stop: signal.signal(stop, later) for stop in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread: signals go to the main thread anyway
        yield
        return
    try:
        yield
    finally:
        for stop, handler in old.items():
            signal.signal(stop, handler)
        if caught:
            handler = old[signal.Signals(caught[0])]
            if callable(handler):
                handler(caught[0], None)  # raises KeyboardInterrupt (or waits in an outer block)
            elif handler in (signal.SIG_DFL, None):
                os.kill(os.getpid(), caught[0])


def _oserror(action: str, path: Path, exc: OSError, hint: str) -> PeerkitError:
    return PeerkitError(f"cannot {action} {path}: {exc.strerror or exc}", hint)


@contextlib.contextmanager
def folder_lock(root: Path) -> Iterator[None]:
    """Hold the program folder's lock for the block; a PeerkitError if another command has it.

    The lock file is removed again on the way out (while still held, and a command that
    finds the file gone or replaced after locking it tries again), so it leaves nothing.
    A run killed in the middle of writing is rolled back here, before anything is read.
    """
    key = root.resolve()
    if key in _held:
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    if not root.is_dir():  # nothing to lock: loading says what is wrong with it
        yield
        return
    fd: int | None = None
    try:
        with _signals_deferred():  # a Ctrl-C that waited is raised as the block ends
            fd = _acquire(root)
            _held[key] = 1
        recover(root)
        yield
    finally:
        if fd is not None:
            with _signals_deferred():
                del _held[key]
                with contextlib.suppress(OSError):
                    (root / LOCK_FILE).unlink()
                os.close(fd)


def _acquire(root: Path) -> int:
    import fcntl

    path = root / LOCK_FILE
    hint = "cannot take the lock that keeps two peerkit commands from writing at once"
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            error = _oserror("write in", root, exc, hint)
            raise error from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            who = f" (process {holder})" if holder.isdigit() else ""
            msg = f"another peerkit command{who} is writing to {root}"
            raise PeerkitError(msg, "wait for it to finish, then run this command again") from None
        except OSError as exc:
            os.close(fd)
            error = _oserror("lock", path, exc, hint)
            raise error from None
        try:
            same = path.stat().st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if not same:  # its holder removed it as we opened it: lock the new one
            os.close(fd)
            continue
        try:  # who holds it, for the message of a command refused meanwhile
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError:
            pass
        except BaseException:
            path.unlink(missing_ok=True)
            os.close(fd)
            raise
        return fd


def _link_out(path: Path, home: Path) -> str | None:
    """Why the link `path` takes writes out of the program folder `home`, or None."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        return f"{path} is a link that never ends (a symlink loop)"
    if resolved == home or home in resolved.parents:
        return None
    return (
        f"{path} is a link to {resolved}, outside the program folder; peerkit writes only inside it"
    )


def _mode(path: str) -> int | None:
    """What is at `path` (its st_mode, links not followed), or None when nothing is."""
    try:
        return os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None


class _Targets:
    """Checks the targets of one write, each folder once (a build writes thousands of files,
    so this works on strings: pathlib costs more than the system calls here)."""

    def __init__(self, root: Path) -> None:
        self.root = os.fspath(root)
        self.home = root.resolve()
        self.folders: dict[str, str | None] = {"": None}  # folder → why no file can go there
        self.writable: dict[str, str | None] = {}

    def path(self, relative: str) -> str:
        return os.path.join(self.root, relative) if relative else self.root

    def folder(self, name: str) -> str | None:
        if name in self.folders:
            return self.folders[name]
        reason = self.folder(posixpath.dirname(name))
        if reason is None:
            path = self.path(name)
            mode = _mode(path)
            if mode is not None and stat.S_ISLNK(mode):
                reason = _link_out(Path(path), self.home)
            elif mode is not None and not stat.S_ISDIR(mode):
                reason = f"{path} is a file, but peerkit needs a folder there"
        self.folders[name] = reason
        return reason

    def can_create_in(self, name: str) -> str | None:
        """The folder (or the nearest one there is, to create it in) must be writable."""
        if name not in self.writable:
            path = self.path(name)
            if name and not os.path.isdir(path):
                self.writable[name] = self.can_create_in(posixpath.dirname(name))
            elif not os.access(path, os.W_OK | os.X_OK):
                self.writable[name] = f"{path} is read-only"
            else:
                self.writable[name] = None
        return self.writable[name]

    def file(self, relative: str) -> str | None:
        if relative.startswith("/") or ".." in relative.split("/") or not relative:
            return f"{relative!r} is not a path inside the program folder"
        folder = posixpath.dirname(relative)
        reason = self.folder(folder) or self.can_create_in(folder)
        if reason:
            return reason
        target = self.path(relative)
        mode = _mode(target)
        if mode is None:
            return None
        if stat.S_ISLNK(mode):
            return _link_out(Path(target), self.home)
        if stat.S_ISDIR(mode):
            return f"{target} is a folder, but peerkit needs to write a file there"
        if not os.access(target, os.W_OK):
            return f"{target} is read-only"
        return None


def check_targets(root: Path, files: Mapping[str, bytes] | list[str]) -> None:
    """A PeerkitError for the first file that cannot be written; nothing is touched."""
    targets = _Targets(root)
    for relative in sorted(files):
        reason = targets.file(relative)
        if reason:
            hint = "move it away"
            if "outside the program folder" in reason or "symlink loop" in reason:
                hint = "replace the link with a real folder inside the program folder"
            if relative.startswith("out/"):
                hint += " (or delete out/, which peerkit rebuilds)"
            raise PeerkitError(reason, hint)


def write_files(root: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write every file (paths relative to `root`) as one transaction: all or nothing.
    Returns the paths written: a file already holding the same bytes is left as it is.

    Every target is checked before anything is written; then the files are written into
    a staging folder and moved into place, `LAST` files last. Any failure or interrupt
    (disk full, a read-only folder, Ctrl-C) restores the folder and leaves no temp file;
    a disk error is a PeerkitError, not a traceback.
    """
    if not files:
        return []
    created_root = not root.exists()
    if created_root:
        try:
            root.mkdir(parents=True)
        except OSError as exc:
            error = _oserror("create", root, exc, "check the path and its permissions")
            raise error from None
    try:
        with folder_lock(root):
            check_targets(root, files)
            changed = _changed(root, files)
            if changed:
                _transaction(root, changed)
            return [root / relative for relative in _order(changed)]
    finally:
        if created_root:  # `init` into a new folder that could not be filled: remove it
            with contextlib.suppress(OSError):
                root.rmdir()  # (only if empty)


def _changed(root: Path, files: Mapping[str, bytes]) -> dict[str, bytes]:
    """The files whose target is not already a plain file holding the same bytes: a file
    that would not change is not written again (a build rewrote thousands of unchanged
    agendas and messages, and touched their times for rsync, make and backups)."""
    top = os.fspath(root)
    changed = {}
    for relative, data in files.items():
        path = os.path.join(top, relative)
        try:
            info = os.lstat(path)
            if stat.S_ISREG(info.st_mode) and info.st_size == len(data):
                with open(path, "rb") as stream:
                    if stream.read() == data:
                        continue
        except OSError:
            pass  # nothing there, or unreadable: written (and any error said) as usual
        changed[relative] = data
    return changed


def _order(files: Mapping[str, bytes]) -> list[str]:
    """Sorted, with the `LAST` files at the end."""
    return sorted(files, key=lambda name: (name in LAST, name))


def _write_new(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _transaction(root: Path, files: Mapping[str, bytes]) -> None:
    staging = root / STAGING
    order = _order(files)
    nothing_changed = "nothing was changed: the folder is as it was before this command"
    if staging.exists() or staging.is_symlink():  # what `recover` could not put back
        msg = f"{staging} is left from an interrupted command that could not be undone"
        hint = "old/ in it holds the files it replaced (plan.json says where); remove it then"
        raise PeerkitError(msg, hint)
    top, new = os.fspath(root), os.path.join(staging, "new")
    current = os.fspath(staging)
    try:
        with _signals_deferred():
            os.mkdir(staging)
            os.mkdir(new)
            os.mkdir(os.path.join(staging, "old"))
        for index, relative in enumerate(order):
            current = os.path.join(top, relative)
            _write_new(os.path.join(new, str(index)), files[relative])
        current = os.fspath(staging)
        folders: list[str] = []
        known: set[str] = {""}
        for relative in order:
            folder = posixpath.dirname(relative)
            missing = []
            while folder not in known:
                known.add(folder)
                if not os.path.isdir(os.path.join(top, folder)):
                    missing.append(folder)
                folder = posixpath.dirname(folder)
            folders.extend(reversed(missing))  # the outer folder first
        entries = [
            [index, relative, _mode(os.path.join(top, relative)) is not None]
            for index, relative in enumerate(order)
        ]
        plan = {"files": entries, "folders": folders}
        _write_new(os.path.join(staging, _PLAN), json.dumps(plan).encode())
    except OSError as exc:
        with _signals_deferred():
            _remove(staging)
        error = _oserror("write", Path(current), exc, nothing_changed)
        raise error from None
    except BaseException:
        with _signals_deferred():
            _remove(staging)
        raise
    with _signals_deferred():
        try:
            _commit(top, os.fspath(staging), order, folders)
        except BaseException as exc:
            failed = roll_back(root, staging)
            if failed:
                msg = f"could not put the folder back as it was: {failed}"
                raise PeerkitError(
                    msg,
                    f"the old files are kept in {staging}; the next peerkit command restores them",
                ) from None
            _remove(staging)
            if isinstance(exc, OSError):
                target = Path(exc.filename) if isinstance(exc.filename, str) else root
                error = _oserror("write", target, exc, nothing_changed)
                raise error from None
            raise
        with contextlib.suppress(OSError):  # done: the plan must not be rolled back any more
            os.unlink(os.path.join(staging, _PLAN))
        _remove(staging)


def _commit(top: str, staging: str, order: list[str], folders: list[str]) -> None:
    for name in folders:
        path = os.path.join(top, name)
        try:
            os.mkdir(path)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, path) from exc
    new, old = os.path.join(staging, "new"), os.path.join(staging, "old")
    for index, relative in enumerate(order):
        target = os.path.join(top, relative)
        try:
            if _mode(target) is not None:
                _backup(target, os.path.join(old, str(index)))
            os.replace(os.path.join(new, str(index)), target)
        except OSError as exc:  # said about the target, not about the staging file
            raise OSError(exc.errno, exc.strerror, target) from exc


def _backup(target: str, backup: str) -> None:
    """Keep the file about to be replaced (a hard link: the old file stays readable)."""
    try:
        os.link(target, backup, follow_symlinks=False)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise
        shutil.copy2(target, backup, follow_symlinks=False)


def roll_back(root: Path, staging: Path) -> str:
    """Put back what the plan in `staging` replaced; what could not be put back, or ''."""
    try:
        with open(os.path.join(staging, _PLAN), encoding="utf-8") as stream:
            plan = json.load(stream)
    except (OSError, ValueError):
        return ""  # no plan: nothing was moved into place yet
    top = os.fspath(root)
    new, old = os.path.join(staging, "new"), os.path.join(staging, "old")
    failed = []
    for index, relative, existed in reversed(plan["files"]):
        if os.path.lexists(os.path.join(new, str(index))):
            continue  # not moved into place: the old file is still there
        target = os.path.join(top, relative)
        try:
            if existed:
                os.replace(os.path.join(old, str(index)), target)
            else:
                os.unlink(target)
        except FileNotFoundError:
            pass
        except OSError as exc:
            failed.append(f"{target} ({exc.strerror or exc})")
    for name in reversed(plan["folders"]):
        with contextlib.suppress(OSError):
            os.rmdir(os.path.join(top, name))
    return ", ".join(failed)


def recover(root: Path) -> None:
    """A staging folder left by a command that was killed: put the folder back, remove it."""
    staging = root / STAGING
    if not staging.is_dir() or staging.is_symlink():
        return
    with _signals_deferred():
        if not roll_back(root, staging):
            _remove(staging)


def _remove(staging: Path) -> None:
    """Remove the staging folder, trying again if that fails once (nothing may stay)."""
    interrupted: KeyboardInterrupt | None = None
    for _ in range(3):
        try:
            shutil.rmtree(staging)
            break
        except FileNotFoundError:
            break
        except OSError:
            continue
        except KeyboardInterrupt as exc:
            interrupted = exc
    else:
        shutil.rmtree(staging, ignore_errors=True)
    if interrupted is not None:
        raise interrupted


def append_record(root: Path, relative: str, header: bytes, line: bytes) -> None:
    """Add one line to a record file (`mail.yaml`), durably, as one write: a reader sees
    the line whole or not at all, and what was recorded before is never rewritten.

    A record written per accepted message cannot be a whole-file transaction (10,000
    messages would rewrite the file 10,000 times); an O_APPEND write of one line is atomic
    on a local file system, and fsync makes it last before the next message goes out. The
    file is created with `header` (through the transaction) when it does not exist yet."""
    path = root / relative
    if not path.exists():
        write_files(root, {relative: header})
    check_targets(root, [relative])
    with _signals_deferred():
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND)
        except OSError as exc:
            error = _oserror("write", path, exc, "check the folder's permissions")
            raise error from None
        try:
            if os.fstat(fd).st_size and not _ends_with_newline(fd):
                line = b"\n" + line  # the last line was torn (a crash mid-write): keep it apart
            written = os.write(fd, line)
            if written != len(line):
                msg = f"cannot write {path}: the disk took {written} of {len(line)} bytes"
                raise PeerkitError(msg, "free some disk space, then run the command again")
            os.fsync(fd)
        except OSError as exc:
            error = _oserror("write", path, exc, "free some disk space or check permissions")
            raise error from None
        finally:
            os.close(fd)


def _ends_with_newline(fd: int) -> bool:
    return os.pread(fd, 1, os.fstat(fd).st_size - 1) == b"\n"
