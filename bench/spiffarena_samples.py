"""How many SpiffArena process-model folders import here and pass the dry run.

python bench/spiffarena_samples.py FOLDER [--timeout SECONDS] [--show N]

FOLDER is a checkout of SpiffArena's public sample models (github.com/sartography/sample-process-models)
or any tree of process-model folders (a folder holding a process_model.json). Fetch it for the
measurement; do not commit it. Each folder is zipped as a process owner would upload it, read as the
import reads it, and then checked and dry-run as a deploy job does, in a child process with a time
limit. Call activities are resolved against every other folder of the tree, as a process group
imported as one zip resolves them; lanes that name no group count as created (what the import offers).
Prints the count that pass and the refusal reasons by count.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import sys
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.services.modelling import METADATA, read_zip  # noqa: E402

LIMIT = 20 * 1024 * 1024


def folder_zip(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            if path.is_file():
                archive.writestr(f"{folder.name}/{path.name}", path.read_bytes())
    return buffer.getvalue()


def model_folders(tree: Path) -> list[Path]:
    return sorted(p.parent for p in tree.rglob(METADATA))


def check_one(folder: Path, library: dict[str, dict[str, bytes]], answer: Any) -> None:
    from app.engine.definitions import declared_lanes
    from app.services.calls import group_lookup, with_called_processes
    from app.services.groups import SEEDED, KnownGroups, group_id_for
    from app.services.modelling import check_and_dry_run, primary_process_of

    try:
        metadata, files = read_zip(folder_zip(folder), LIMIT)
        files = with_called_processes(files, group_lookup(library, lambda process_id, version: None))
        created = {group_id_for(lane): lane for lane in SEEDED.unknown(declared_lanes(files))}
        groups = KnownGroups({**SEEDED.titles, **created})
        result = check_and_dry_run(files, primary=primary_process_of(metadata, files), groups=groups)
        answer.send((result.ok, [m for messages in result.problems.values() for m in messages]))
    except Exception as error:  # a refusal of the zip itself, or a crash: both count as not imported
        answer.send((False, [f"{type(error).__name__}: {getattr(error, 'message', error)}"]))


def library_of(folders: list[Path]) -> dict[str, dict[str, bytes]]:
    """Every executable process of every folder, by process id, with its folder's files."""
    from app.engine.definitions import executable_process_ids

    library: dict[str, dict[str, bytes]] = {}
    for folder in folders:
        try:
            _, files = read_zip(folder_zip(folder), LIMIT)
        except Exception:
            continue
        for name, content in files.items():
            if name.endswith(".bpmn"):
                for process_id in executable_process_ids(content):
                    library.setdefault(process_id, files)
    return library


def reason(message: str) -> str:
    """A refusal message without the element or value it names, so alike refusals count together."""
    text = message.split(": ", 1)[-1] if message.startswith("Dry run") else message
    return text[:110]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--show", type=int, default=25, help="how many refusal reasons to list")
    parser.add_argument("--verbose", action="store_true", help="each folder and its first refusal")
    options = parser.parse_args()
    folders = model_folders(options.folder)
    library = library_of(folders)
    context = multiprocessing.get_context("fork")
    passed, reasons = 0, Counter[str]()
    for folder in folders:
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=check_one, args=(folder, library, sender))
        child.start()
        if receiver.poll(options.timeout):
            ok, messages = receiver.recv()
        else:
            ok, messages = False, [f"no answer within {options.timeout:.0f} s"]
        child.kill()
        child.join()
        passed += ok
        for message in sorted({reason(m) for m in messages}):
            reasons[message] += 1
        if options.verbose:
            print(f"{'pass' if ok else 'FAIL'} {folder.relative_to(options.folder)} {messages[:1]}")
    print(f"{passed} of {len(folders)} process-model folders import and pass the dry run")
    for message, count in reasons.most_common(options.show):
        print(f"{count:4d}  {message}")


if __name__ == "__main__":
    main()
