"""`peerkit init`: a new program folder from a commented example."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from peerkit.cli.common import (
    DryRunOpt,
    FormatOpt,
    TextJson,
    err,
    handle_errors,
    out,
    print_json,
)
from peerkit.errors import UsageError

STARTER = Path(__file__).resolve().parent.parent / "starter"


STARTER_ID = b"id: spring-peer-mentoring-2027 "


def _with_id(program: bytes, folder: Path) -> bytes:
    """The starter program.yaml with an `id:` of the folder's name, so two programs made
    from the starter never share calendar UIDs."""
    from peerkit.load.reader import slugify

    slug = slugify(folder.resolve().name)
    if not slug or STARTER_ID not in program:
        return program
    padded = f"id: {slug}".ljust(len(STARTER_ID) - 1).encode("utf-8") + b" "
    return program.replace(STARTER_ID, padded, 1)


@handle_errors
def init_command(
    folder: Annotated[Path, typer.Argument(help="The folder to create.")],
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Write into a folder that is not empty (existing files are kept)."
        ),
    ] = False,
    dry_run: DryRunOpt = False,
    format: FormatOpt = TextJson.text,
) -> None:
    """Create a program folder with a commented example that passes `peerkit check`.

    Example: peerkit init my-program
    """
    from peerkit.write import write_files

    if folder.exists() and not folder.is_dir():
        msg = f"{folder} exists and is not a folder"
        raise UsageError(msg, "choose another name")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        msg = f"{folder} is not empty"
        raise UsageError(msg, "choose a new folder, or add --force to write the example into it")
    files = {path.name: path.read_bytes() for path in sorted(STARTER.iterdir()) if path.is_file()}
    # out/ is rebuilt; the other two exist only while a command writes (or after a kill -9)
    files[".gitignore"] = b"out/\n.peerkit-staging/\n.peerkit.lock\n"
    files["program.yaml"] = _with_id(files["program.yaml"], folder)
    from peerkit.load.members import ROSTER_FILES

    has_roster = any((folder / name).exists() for name in ROSTER_FILES)
    kept = sorted(
        name
        for name in files
        if (folder / name).exists() or (name == "members.yaml" and has_roster)
    )
    for name in kept:  # never replace a coordinator's program, roster or .gitignore
        del files[name]
    written = [folder / name for name in sorted(files)] if dry_run else write_files(folder, files)
    if format is TextJson.json:
        print_json(
            {"folder": str(folder), "files": sorted(files), "kept": kept, "dry_run": dry_run}
        )
        return
    verb = "would write" if dry_run else "wrote"
    for path in written:
        out.print(f"{verb} {path}", markup=False)
    for name in kept:
        err.print(f"kept your own {name if (folder / name).exists() else 'roster'} in {folder}")
    err.print(f"next: edit {folder / 'program.yaml'}, then run `peerkit check {folder}`")
