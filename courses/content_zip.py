"""Content trees as zip files, for the admin's upload and download (DESIGN.md §5 format inside).

An uploaded zip is untrusted: it is unpacked into a fresh temporary folder only after every
entry has passed the checks below, and only `.toml` and `.md` files are written (others are
skipped, never read). The unpacked tree then goes through the same validation as
`manage.py import_content` (`services.read_content`); errors name the file as it is inside
the zip, with its line.

Refused outright, before anything is written:
- more than `max_files` files or `max_bytes` unpacked (counted from the headers, and again
  while reading, so a header that lies about a size is caught too);
- absolute paths, drive letters, backslashes, `..` parts, control characters, repeated names;
- symbolic links and other non-regular entries, encrypted entries.
"""

import io
import re
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from . import content_files as cf
from . import services

MAX_BYTES = 5 * 1024 * 1024  # unpacked; the whole curriculum in content/ is well under 1 MB
MAX_FILES = 500  # the starter curriculum has about 60 files
READ_SUFFIXES = (".toml", ".md")
CHUNK = 64 * 1024
# Folders a zip tool adds that are not content (macOS resource forks, version control...).
SKIPPED_PART = re.compile(r"^(\.|__MACOSX$)")
DRIVE = re.compile(r"^[A-Za-z]:")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class UnsafeArchiveError(Exception):
    """The upload is not a zip we are willing to unpack; the message says why, for the author."""


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _check_name(info: zipfile.ZipInfo) -> PurePosixPath:
    name = info.filename
    if CONTROL.search(name):
        raise UnsafeArchiveError(f"“{name!r}” has control characters in its name.")
    if "\\" in name:
        raise UnsafeArchiveError(
            f"“{name}” has a backslash in its path; zip paths use forward slashes."
        )
    if name.startswith("/") or DRIVE.match(name):
        raise UnsafeArchiveError(f"“{name}” is an absolute path; paths must be relative.")
    path = PurePosixPath(name)
    if ".." in path.parts:
        raise UnsafeArchiveError(f"“{name}” points outside the folder (it contains “..”).")
    return path


def _check_entry(info: zipfile.ZipInfo) -> None:
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UnsafeArchiveError(f"“{info.filename}” is a symbolic link; links are not allowed.")
    # Zips made on Windows (and by some tools) carry no file type: those are plain files.
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise UnsafeArchiveError(f"“{info.filename}” is not a regular file or folder.")
    if info.flag_bits & 0x1:
        raise UnsafeArchiveError(f"“{info.filename}” is encrypted; upload an unencrypted zip.")


def _wanted(path: PurePosixPath, info: zipfile.ZipInfo) -> bool:
    if info.is_dir() or any(SKIPPED_PART.match(part) for part in path.parts):
        return False
    return path.suffix in READ_SUFFIXES


def unpack(
    data: bytes, dest: Path, *, max_bytes: int = MAX_BYTES, max_files: int = MAX_FILES
) -> list[Path]:
    """Check every entry of the zip in `data`, then write its .toml and .md files under `dest`.

    Raises UnsafeArchiveError (nothing written) for anything outside the limits above.
    Returns the files written.
    """
    if len(data) > max_bytes:
        raise UnsafeArchiveError(
            f"The zip is {_megabytes(len(data))}; the limit is {_megabytes(max_bytes)}."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise UnsafeArchiveError("This is not a zip file (or it is damaged).") from None
    with archive:
        entries = archive.infolist()
        files = [info for info in entries if not info.is_dir()]
        if len(files) > max_files or len(entries) > 2 * max_files:
            raise UnsafeArchiveError(f"The zip holds {len(files)} files; the limit is {max_files}.")
        declared = sum(info.file_size for info in entries)
        if declared > max_bytes:
            raise UnsafeArchiveError(
                f"The zip unpacks to {_megabytes(declared)}; the limit is {_megabytes(max_bytes)}."
            )
        seen: set[str] = set()
        wanted: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
        for info in entries:
            path = _check_name(info)
            _check_entry(info)
            key = path.as_posix().rstrip("/")
            if key in seen:
                raise UnsafeArchiveError(f"“{info.filename}” appears twice in the zip.")
            seen.add(key)
            if _wanted(path, info):
                wanted.append((info, path))
        return _extract(archive, wanted, Path(dest), max_bytes)


def _extract(archive, wanted, dest: Path, max_bytes: int) -> list[Path]:
    root = dest.resolve()
    written = []
    total = 0
    for info, path in wanted:
        target = (root / path).resolve()
        if not target.is_relative_to(root):  # defence in depth: _check_name already refused
            raise UnsafeArchiveError(f"“{info.filename}” points outside the folder.")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with archive.open(info) as source, target.open("xb") as out:
                while chunk := source.read(CHUNK):
                    total += len(chunk)
                    if total > max_bytes:
                        raise UnsafeArchiveError(
                            f"The zip unpacks to more than {_megabytes(max_bytes)}, the limit."
                        )
                    out.write(chunk)
        except FileExistsError:
            raise UnsafeArchiveError(f"“{info.filename}” appears twice in the zip.") from None
        except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as error:
            raise UnsafeArchiveError(f"“{info.filename}” can't be read: {error}") from None
        written.append(target)
    return written


def content_root(folder: Path) -> Path:
    """Where the track folders are: `folder` itself, or the one folder that wraps them.

    Accepts `<track>/track.toml` at the top of the zip (one or more tracks) and a zipped
    `content/` folder. A zip of a track folder's *contents* has no folder to name the track
    after, so it is refused with a message saying what to zip instead.
    """
    if (folder / "track.toml").is_file():
        raise UnsafeArchiveError(
            "track.toml is at the top of the zip, so the track has no folder name (its slug). "
            "Zip the track folder itself, so the zip holds <track-slug>/track.toml."
        )
    subfolders = [
        path for path in folder.iterdir() if path.is_dir() and not SKIPPED_PART.match(path.name)
    ]
    if any((path / "track.toml").is_file() for path in subfolders):
        return folder
    if len(subfolders) == 1 and any(
        (path / "track.toml").is_file() for path in subfolders[0].iterdir() if path.is_dir()
    ):
        return subfolders[0]
    return folder


def _relative(errors: list[cf.ContentError], root: Path) -> list[cf.ContentError]:
    resolved = root.resolve()
    relative = []
    for error in errors:
        try:
            path = Path(error.path).resolve().relative_to(resolved)
        except ValueError:
            path = Path(error.path.name)
        relative.append(cf.ContentError(path, error.line, error.message))
    return relative


def read_zip(
    data: bytes, *, max_bytes: int = MAX_BYTES, max_files: int = MAX_FILES
) -> list[cf.TrackSpec]:
    """Unpack and validate a zipped content tree; the specs `services.import_specs` takes.

    Raises UnsafeArchiveError for a zip refused before reading, or cf.InvalidContentError with
    every error, its path relative to the top of the zip. Writes nothing to the database.
    """
    with tempfile.TemporaryDirectory(prefix="socialcraft-import-") as tmp:
        folder = Path(tmp)
        unpack(data, folder, max_bytes=max_bytes, max_files=max_files)
        root = content_root(folder)
        try:
            return services.read_content(root)
        except cf.InvalidContentError as invalid:
            raise cf.InvalidContentError(_relative(invalid.errors, folder)) from None


def zip_specs(specs: list[cf.TrackSpec]) -> bytes:
    """The tracks in `specs` as a zip of `<track-slug>/...` folders that `read_zip` reads back."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="socialcraft-export-") as tmp:
        folder = Path(tmp)
        written = cf.write_tree(specs, folder)
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(written):
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()
