"""Writing is a transaction: the folder is as before or as after, never between.

Faults are injected at every N-th call that writes (os.open, os.write, os.mkdir, os.link,
os.replace) while a build of a small program is written: a full disk and Ctrl-C. Also the
folder lock (two processes), links out of the program folder, Ctrl-C during the imports,
and `calendar --only` recording only what it wrote.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from peerkit.build import BuildResult
from peerkit.calendar.state import read_state
from peerkit.check import check_folder
from peerkit.write import LOCK_FILE, STAGING, folder_lock, write_files
from tests.conftest import MINIMAL_MEMBERS, MINIMAL_PROGRAM, ROOT, run, write_folder

NOW = "2027-01-15"
WRITING_CALLS = ("open", "write", "mkdir", "link", "replace")


def tree(root: Path) -> dict[str, str]:
    """Every file, folder and link under `root`, by content: equal trees are byte-identical."""
    found = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[name] = f"link:{path.readlink()}"
        elif path.is_dir():
            found[name] = "folder"
        else:
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


class Fault:
    """Raise `error` at the N-th writing call of the os module (once), counting the calls."""

    def __init__(self, at: int, error: Callable[[], BaseException]) -> None:
        self.at = at
        self.error = error
        self.calls = 0

    def wrap(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.calls == self.at:
                raise self.error()
            return real(*args, **kwargs)

        return call


@contextmanager
def fault(monkeypatch: pytest.MonkeyPatch, fault: Fault) -> Iterator[Fault]:
    with monkeypatch.context() as patch:
        for name in WRITING_CALLS:
            patch.setattr(os, name, fault.wrap(getattr(os, name)))
        yield fault


def disk_full() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def ics_events(data: bytes) -> dict[str, tuple[int, str]]:
    """UID → (SEQUENCE, STATUS) of every event in an .ics file."""
    events = {}
    for block in data.decode("utf-8").replace("\r\n ", "").split("BEGIN:VEVENT")[1:]:
        fields = dict(
            line.split(":", 1) for line in block.splitlines() if ":" in line and line[0] != " "
        )
        events[fields["UID"]] = (int(fields["SEQUENCE"]), fields["STATUS"])
    return events


def assert_state_matches_calendars(root: Path) -> None:
    """calendars.yaml records exactly the events in out/calendars/ (program and match files)."""
    folder, _ = check_folder(root)
    assert folder is not None
    state, problems = read_state(root)
    assert not problems
    on_disk = ics_events((root / "out/calendars/program.ics").read_bytes())
    recorded = {}
    for matches in state.rounds.values():
        for match_id, record in matches.items():
            in_match = ics_events((root / f"out/calendars/matches/{match_id}.ics").read_bytes())
            expected = {
                item.uid: (item.sequence, item.status.upper()) for item in record.events.values()
            }
            assert in_match == expected, match_id
            recorded.update(expected)
    assert on_disk == recorded


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, bytes]]:
    """A small program before and after one real `build`, and the files the build wrote
    (the round, calendars and their state, handouts, survey forms: about 30 files)."""
    base = tmp_path_factory.mktemp("built")
    before, after = base / "before", base / "after"
    write_folder(before, {"program.yaml": MINIMAL_PROGRAM, "members.yaml": MINIMAL_MEMBERS})
    shutil.copytree(before, after)
    result = run("build", after, "--now", NOW)
    assert result.exit_code == 0, result.output
    old = tree(before)
    files = {
        name: (after / name).read_bytes()
        for name, digest in tree(after).items()
        if digest != "folder" and old.get(name) != digest
    }
    return before, after, files


@pytest.fixture
def program(tmp_path: Path, built: tuple[Path, Path, dict[str, bytes]]) -> Path:
    """A fresh copy of the program as it was before the build."""
    return Path(shutil.copytree(built[0], tmp_path / "program"))


@pytest.fixture
def quick_build(
    monkeypatch: pytest.MonkeyPatch, built: tuple[Path, Path, dict[str, bytes]]
) -> None:
    """`build` computes what the real one did, without the seconds of PDF rendering."""
    monkeypatch.setattr(
        "peerkit.build.build_outputs", lambda folder, options: BuildResult(files=dict(built[2]))
    )


def test_a_build_writes_everything_and_leaves_no_trace(
    built: tuple[Path, Path, dict[str, bytes]],
) -> None:
    before, after, files = built
    assert "rounds/2027.yaml" in files
    assert "calendars.yaml" in files
    assert len(files) > 25
    assert not (after / STAGING).exists()
    assert not (after / LOCK_FILE).exists()
    assert set(tree(after)) - set(tree(before)) >= set(files)
    assert_state_matches_calendars(after)


def test_calendar_state_is_written_last(
    program: Path, built: tuple[Path, Path, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    moved: list[str] = []
    real = os.replace

    def replace(source: Any, target: Any) -> None:
        moved.append(Path(target).relative_to(program).as_posix())
        real(source, target)

    monkeypatch.setattr(os, "replace", replace)
    write_files(program, built[2])
    assert moved[-1] == "calendars.yaml"
    assert moved.index("rounds/2027.yaml") < len(moved) - 1
    assert sorted(moved) == sorted(built[2])


@pytest.mark.parametrize("error", [disk_full, KeyboardInterrupt], ids=["disk-full", "interrupt"])
def test_a_fault_at_any_write_leaves_the_folder_as_before_or_after(
    program: Path,
    built: tuple[Path, Path, dict[str, bytes]],
    monkeypatch: pytest.MonkeyPatch,
    error: Callable[[], BaseException],
) -> None:
    files = built[2]
    before = tree(program)
    with fault(monkeypatch, Fault(0, error)) as counted:  # at 0: never, only counting
        write_files(program, files)
    after = tree(program)
    assert_state_matches_calendars(program)
    total = counted.calls
    assert total > 2 * len(files)  # each file: staged (open, write) and moved
    shutil.rmtree(program)
    shutil.copytree(built[0], program)
    outcomes = {"before": 0, "after": 0}
    for at in range(1, total + 1):
        raised: BaseException | None = None
        try:
            with fault(monkeypatch, Fault(at, error)):
                write_files(program, files)
        except (KeyboardInterrupt, Exception) as exc:
            raised = exc
        assert not isinstance(raised, OSError), f"a raw OSError at call {at}"
        now = tree(program)
        assert now in (before, after), f"half-written after a fault at call {at}"
        if now == after:  # a fault that did not matter: the lock's note, removing staging
            outcomes["after"] += 1
            assert_state_matches_calendars(program)
            shutil.rmtree(program)
            shutil.copytree(built[0], program)
        else:
            assert raised is not None, f"a fault at call {at} stopped the write silently"
            outcomes["before"] += 1
    assert outcomes["before"] > total - 10


def test_a_fault_while_replacing_older_output_puts_every_old_file_back(
    program: Path, built: tuple[Path, Path, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second build replaces files: a fault restores each one from its backup (a full
    disk at odd calls, Ctrl-C at even ones)."""
    write_files(program, built[2])
    changed = {name: data + b"\n" for name, data in built[2].items()}
    changed["out/new/extra.txt"] = b"a file in a new folder\n"
    before = tree(program)

    def undo() -> None:
        write_files(program, built[2])
        (program / "out/new/extra.txt").unlink()
        (program / "out/new").rmdir()

    with fault(monkeypatch, Fault(0, disk_full)) as counted:
        write_files(program, changed)
    after = tree(program)
    undo()
    assert tree(program) == before
    for at in range(1, counted.calls + 1):
        error = disk_full if at % 2 else KeyboardInterrupt
        try:
            with fault(monkeypatch, Fault(at, error)):
                write_files(program, changed)
        except (KeyboardInterrupt, Exception):
            pass
        now = tree(program)
        assert now in (before, after), f"half-written after a fault at call {at}"
        if now == after:
            undo()


@pytest.mark.usefixtures("quick_build")
@pytest.mark.parametrize("at", [1, 5, 40, 90])
def test_build_on_a_full_disk_is_a_message_and_changes_nothing(
    program: Path, monkeypatch: pytest.MonkeyPatch, at: int
) -> None:
    before = tree(program)
    with fault(monkeypatch, Fault(at, disk_full)):
        result = run("build", program, "--now", NOW)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "No space left on device" in result.stderr
    if at == 1:  # taking the lock is the first thing written
        assert f"error: cannot write in {program}: No space left" in result.stderr
    else:
        assert "nothing was changed: the folder is as it was before this command" in result.stderr
    assert tree(program) == before


@pytest.mark.usefixtures("quick_build")
@pytest.mark.parametrize("at", [1, 2, 60, 95])
def test_build_interrupted_while_writing_exits_130_and_changes_nothing(
    program: Path, monkeypatch: pytest.MonkeyPatch, at: int
) -> None:
    before = tree(program)
    with fault(monkeypatch, Fault(at, KeyboardInterrupt)):
        result = run("build", program, "--now", NOW)
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == "interrupted"
    assert "Traceback" not in result.output
    assert tree(program) == before


@pytest.mark.usefixtures("quick_build")
def test_with_no_round_yet_a_round_file_that_cannot_be_written_records_no_calendar_state(
    program: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = tree(program)
    real = os.replace

    def replace(source: Any, target: Any) -> None:
        if Path(target).name == "2027.yaml":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))
        real(source, target)

    monkeypatch.setattr(os, "replace", replace)
    result = run("build", program, "--now", NOW)
    assert result.exit_code == 1
    assert f"cannot write {program / 'rounds' / '2027.yaml'}: No space left" in result.stderr
    assert not (program / "calendars.yaml").exists()
    assert not (program / "rounds").exists()
    assert tree(program) == before


@pytest.mark.usefixtures("quick_build")
def test_a_read_only_output_folder_stops_the_build_and_changes_nothing(
    program: Path, built: tuple[Path, Path, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_files(program, built[2])
    surveys = program / "out" / "surveys"
    for stale in surveys.iterdir():  # made by an older build: this one must rewrite them
        stale.write_bytes(stale.read_bytes() + b"\n")
    before = tree(program)
    real = os.replace

    def replace(source: Any, target: Any) -> None:
        # what a read-only folder does even to root, who passes every permission check
        if Path(target).parent == surveys:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(target))
        real(source, target)

    monkeypatch.setattr(os, "replace", replace)
    result = run("build", program, "--now", NOW)
    assert result.exit_code == 1
    assert f"cannot write {surveys}/" in result.stderr
    assert "Permission denied" in result.stderr
    assert tree(program) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
@pytest.mark.usefixtures("quick_build")
def test_a_read_only_output_folder_is_named_before_writing(
    program: Path, built: tuple[Path, Path, dict[str, bytes]]
) -> None:
    write_files(program, built[2])
    surveys = program / "out" / "surveys"
    surveys.chmod(0o555)
    try:
        before = tree(program)
        result = run("build", program, "--now", NOW)
        assert result.exit_code == 1
        assert f"{surveys} is read-only" in result.stderr
        assert tree(program) == before
    finally:
        surveys.chmod(0o755)


def test_an_interrupt_while_the_new_files_are_staged_leaves_no_temp_file(
    program: Path, built: tuple[Path, Path, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = tree(program)
    real = os.open
    opened = 0

    def interrupted_open(path: Any, flags: int, mode: int = 0o777, **kwargs: Any) -> int:
        nonlocal opened
        opened += 1
        fd = real(path, flags, mode, **kwargs)
        if opened == 10:  # the file exists, empty: the moment a temp file used to stay
            raise KeyboardInterrupt
        return fd

    monkeypatch.setattr(os, "open", interrupted_open)
    with pytest.raises(KeyboardInterrupt):
        write_files(program, built[2])
    assert tree(program) == before


# --- links out of the folder -----------------------------------------------------------


@pytest.mark.usefixtures("quick_build")
@pytest.mark.parametrize("link", ["out", "out/calendars"])
def test_an_output_folder_linked_elsewhere_is_an_error_and_nothing_is_written(
    program: Path, tmp_path: Path, link: str
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (program / link).parent.mkdir(parents=True, exist_ok=True)
    (program / link).symlink_to(elsewhere, target_is_directory=True)
    before, outside = tree(program), tree(elsewhere)
    result = run("build", program, "--now", NOW)
    assert result.exit_code == 1
    assert (
        f"error: {program / link} is a link to {elsewhere.resolve()}, outside the program "
        "folder; peerkit writes only inside it" in result.stderr.replace("\n", " ")
    )
    assert "hint: replace the link with a real folder inside the program folder" in result.stderr
    assert tree(program) == before
    assert tree(elsewhere) == outside == {}


def test_a_link_inside_the_folder_is_fine(program: Path) -> None:
    (program / "built").mkdir()
    (program / "out").symlink_to("built", target_is_directory=True)
    write_files(program, {"out/x.txt": b"x"})
    assert (program / "built" / "x.txt").read_bytes() == b"x"


def test_a_file_linked_out_of_the_folder_is_not_replaced(program: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("keep")
    (program / "out").mkdir()
    (program / "out" / "x.txt").symlink_to(secret)
    with pytest.raises(Exception, match="outside the program folder"):
        write_files(program, {"out/x.txt": b"x"})
    assert secret.read_text() == "keep"


# --- the lock ---------------------------------------------------------------------------

HOLDER = """\
import sys
from pathlib import Path
from peerkit.write import folder_lock
with folder_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.read()
"""


@contextmanager
def held_by_another_process(root: Path) -> Iterator[int]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "locked\n"
        yield holder.pid
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


def peerkit(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "peerkit", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_a_second_command_that_writes_is_refused_while_the_first_runs(program: Path) -> None:
    before = tree(program)
    with held_by_another_process(program) as pid:
        refused = peerkit("match", program)
        assert refused.returncode == 1
        assert (
            f"error: another peerkit command (process {pid}) is writing to {program}"
            in refused.stderr.replace("\n", " ")
        )
        assert "hint: wait for it to finish, then run this command again" in refused.stderr
        assert "Traceback" not in refused.stderr
        assert not (program / "rounds" / "2027.yaml").exists()
        # reading is never refused, nor a dry run
        assert run("check", program).exit_code == 0
        assert run("match", program, "--dry-run").exit_code == 0
        refused_here = run("match", program)
        assert refused_here.exit_code == 1
        assert f"process {pid}" in refused_here.stderr
    assert tree(program) == before  # the lock file went with its holder
    done = peerkit("match", program)
    assert done.returncode == 0, done.stderr
    assert (program / "rounds" / "2027.yaml").exists()
    assert not (program / LOCK_FILE).exists()


def test_the_lock_of_a_killed_command_does_not_block_the_next(program: Path) -> None:
    (program / LOCK_FILE).write_text("99999999\n")  # left by a command that was killed
    assert run("match", program).exit_code == 0
    assert not (program / LOCK_FILE).exists()


KILLED = """\
import os, sys
from pathlib import Path
from peerkit.write import write_files
root = Path(sys.argv[1])
files = {{name: b"new" for name in ["calendars.yaml", "out/a.txt", "out/b/c.txt", "rounds/2027.yaml"]}}
real, calls = os.replace, []
def replace(*args):
    calls.append(args)
    if len(calls) == {at}:
        os._exit(9)  # killed: no rollback, no cleanup
    real(*args)
os.replace = replace
write_files(root, files)
"""


@pytest.mark.parametrize("at", [1, 2, 3, 4])
def test_a_command_killed_while_writing_is_undone_by_the_next(program: Path, at: int) -> None:
    (program / "out").mkdir()
    (program / "out" / "a.txt").write_text("old")
    before = tree(program)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED.format(at=at), str(program)], cwd=ROOT, check=False
    )
    assert killed.returncode == 9
    assert (program / STAGING).is_dir()
    with folder_lock(program):
        pass
    assert tree(program) == before


# --- Ctrl-C -----------------------------------------------------------------------------

INTERRUPT_IMPORT = """\
import sys
class Interrupt:
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            raise KeyboardInterrupt
sys.meta_path.insert(0, Interrupt())
sys.argv = ["peerkit", "check", {folder!r}]
from peerkit.__main__ import main
main()
"""


@pytest.mark.parametrize("module", ["typer", "rich.console", "peerkit.cli.match", "yaml"])
def test_ctrl_c_during_the_imports_is_exit_130_and_one_line(program: Path, module: str) -> None:
    code = INTERRUPT_IMPORT.format(module=module, folder=str(program))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 130
    assert done.stderr == "interrupted\n"


STARTED = """\
import signal, sys
from peerkit.__main__ import _stop, main
signal.signal(signal.SIGINT, _stop)  # as main() does first, before this line's print
signal.signal(signal.SIGTERM, _stop)
sys.argv = ["peerkit", "build", {folder!r}, "--now", "2027-01-15"]
print("started", flush=True)
main()
"""


@pytest.mark.parametrize(
    ("stop", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
@pytest.mark.parametrize("delay", [0.0, 0.3, 1.5])
def test_stopped_at_any_moment_is_never_a_traceback_nor_half_written(
    program: Path,
    built: tuple[Path, Path, dict[str, bytes]],
    delay: float,
    stop: signal.Signals,
    code: int,
) -> None:
    before = tree(program)
    started = subprocess.Popen(
        [sys.executable, "-c", STARTED.format(folder=str(program))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    assert started.stdout is not None
    assert started.stdout.readline() == "started\n"  # the interpreter is up: peerkit's turn
    time.sleep(delay)
    started.send_signal(stop)
    _, stderr = started.communicate(timeout=120)
    assert "Traceback" not in stderr
    assert started.returncode in (0, code), stderr
    if started.returncode == code:
        assert stderr.splitlines()[-1] == "interrupted"
        assert tree(program) == before
    else:
        assert set(tree(program)) == set(tree(built[1]))
    assert not (program / STAGING).exists()
    assert not (program / LOCK_FILE).exists()


IN_A_FINALISER = """\
import os, signal, sys, time
from peerkit.__main__ import _stop, main
def command():
    class Font:  # as WeasyPrint's fonts: freed in __del__, when the collector finds them
        def __del__(self):
            os.kill(os.getpid(), signal.{stop})
            time.sleep(0.1)  # the signal lands here, inside the finaliser
    Font()
    time.sleep(3)  # the command goes on only if the stop was lost
    print("went on to the end")
import peerkit.cli
peerkit.cli.main = command
main()
"""


@pytest.mark.parametrize(("stop", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_stop_inside_a_finaliser_still_stops_the_command(stop: str, code: int) -> None:
    done = subprocess.run(
        [sys.executable, "-c", IN_A_FINALISER.format(stop=stop)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (code, "", "interrupted\n")


# --- calendar --only --------------------------------------------------------------------


def test_calendar_only_records_state_for_what_it_wrote(sample: Path) -> None:
    (sample / "calendars.yaml").unlink()
    result = run("calendar", sample, "--only", "match-01", "--now", NOW)
    assert result.exit_code == 0, result.output
    state, _ = read_state(sample)
    assert list(state.rounds["2027"]) == ["match-01"]
    written = sorted(p.relative_to(sample).as_posix() for p in (sample / "out").rglob("*.ics"))
    assert written == ["out/calendars/matches/match-01.ics"]

    member = state.rounds["2027"]["match-01"].members[0]
    folder, _ = check_folder(sample)
    assert folder is not None
    round_ = folder.round(None)
    assert round_ is not None
    other = next(m for m in round_.matches if m.id != "match-01")
    result = run("calendar", sample, "--only", other.members[0], "--now", NOW)
    assert result.exit_code == 0, result.output
    state, _ = read_state(sample)
    assert sorted(state.rounds["2027"]) == sorted(["match-01", other.id])
    assert member in state.rounds["2027"]["match-01"].members

    result = run("calendar", sample, "--now", NOW)
    assert result.exit_code == 0, result.output
    state, _ = read_state(sample)
    assert sorted(state.rounds["2027"]) == sorted(m.id for m in round_.matches)
    assert_state_matches_calendars(sample)


def test_an_interrupt_while_typer_parses_the_options_still_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import peerkit.cli

    def interrupted_app() -> None:
        raise SystemExit(130)  # what typer makes of Ctrl-C before the command runs

    monkeypatch.setattr(peerkit.cli, "app", interrupted_app)
    with pytest.raises(SystemExit) as exited:
        peerkit.cli.main()
    assert exited.value.code == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_init_that_cannot_write_leaves_no_folder_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "new-program"
    with fault(monkeypatch, Fault(8, disk_full)):
        result = run("init", target)
    assert result.exit_code == 1
    assert "No space left on device" in result.stderr
    assert not target.exists()
    assert run("init", target).exit_code == 0
    assert (target / ".gitignore").read_text() == "out/\n.peerkit-staging/\n.peerkit.lock\n"
