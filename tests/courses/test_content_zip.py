"""Zipped content trees: hostile archives are refused before anything is written."""

import io
import stat
import zipfile
from pathlib import Path

import pytest

from courses import content_files as cf
from courses import content_zip, services
from courses.models import Track
from tests import factories

FIXTURE = Path(__file__).parent.parent / "fixtures" / "content"


def zip_folder(folder: Path, *, prefix: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(folder).as_posix())
    return buffer.getvalue()


def zip_entries(*entries: tuple[str | zipfile.ZipInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def sample_zip(**kwargs) -> bytes:
    return zip_folder(FIXTURE, **kwargs)


def refusal(data: bytes, **limits) -> str:
    with pytest.raises(content_zip.UnsafeArchiveError) as raised:
        content_zip.read_zip(data, **limits)
    return str(raised.value)


@pytest.fixture
def roles(db):
    for slug in ("newcomer", "strategy-lead", "executive"):
        factories.role(slug)


# -- valid archives ----------------------------------------------------------------------------


def test_a_zipped_track_folder_reads_into_specs(roles):
    (spec,) = content_zip.read_zip(sample_zip())

    assert spec.slug == "sample-track"
    assert [m.slug for m in spec.modules] == ["basics", "practice"]
    assert Track.objects.count() == 0  # reading writes nothing


def test_a_zipped_content_folder_is_unwrapped(roles):
    (spec,) = content_zip.read_zip(sample_zip(prefix="content/"))

    assert spec.slug == "sample-track"


def test_other_files_and_macos_folders_are_skipped_not_read(roles, tmp_path):
    buffer = io.BytesIO(sample_zip())
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("sample-track/cover.png", b"\x89PNG not really")
        archive.writestr("__MACOSX/sample-track/._track.toml", b"\x00\x05\x16\x07")
        archive.writestr("sample-track/01-basics/.notes.md", "not a lesson")

    written = content_zip.unpack(buffer.getvalue(), tmp_path)
    assert len(content_zip.read_zip(buffer.getvalue())) == 1

    names = {path.relative_to(tmp_path).as_posix() for path in written}
    assert "sample-track/track.toml" in names
    assert not any(name.endswith(".png") or "__MACOSX" in name for name in names)
    assert not any("/." in name for name in names)


def test_export_zip_reads_back_to_the_same_specs(roles, content_tree):
    specs = services.read_content(content_tree)

    again = content_zip.read_zip(content_zip.zip_specs(specs))

    assert again == specs


# -- invalid content: every error with its path inside the zip and its line ---------------


def test_invalid_content_reports_paths_inside_the_zip_with_lines(roles, content_tree):
    quiz = content_tree / "sample-track/01-basics/02-first-quiz.md"
    quiz.write_text(quiz.read_text().replace("pass_mark = 75", "pass_mark = 150"))
    track = content_tree / "sample-track/track.toml"
    track.write_text(track.read_text().replace('role = "newcomer"', 'role = "astronaut"'))

    with pytest.raises(cf.InvalidContentError) as raised:
        content_zip.read_zip(zip_folder(content_tree))

    errors = [str(error) for error in raised.value.errors]
    assert "sample-track/track.toml:2: unknown role 'astronaut'" in errors[0]
    assert any(
        error.startswith("sample-track/01-basics/02-first-quiz.md:6: quiz: 'pass_mark'")
        for error in errors
    )
    assert not any("socialcraft-import" in error for error in errors)  # no temporary paths


def test_track_toml_at_the_top_is_refused_with_advice(roles):
    data = zip_folder(FIXTURE / "sample-track")

    assert "Zip the track folder itself" in refusal(data)


# -- hostile archives ---------------------------------------------------------------------------


def test_not_a_zip_is_refused(roles):
    assert "not a zip file" in refusal(b"this is not a zip")


def test_path_traversal_is_refused(roles, tmp_path):
    data = zip_entries(
        ("sample-track/track.toml", b'title = "x"'),
        ("sample-track/../../evil.md", b"+++\n+++\npwned"),
    )

    message = refusal(data)

    assert "points outside the folder" in message
    assert not (tmp_path.parent / "evil.md").exists()


def test_absolute_path_is_refused(roles):
    assert "absolute path" in refusal(zip_entries(("/etc/cron.d/evil.toml", b"x = 1")))


def test_windows_drive_and_backslash_paths_are_refused(roles):
    assert "absolute path" in refusal(zip_entries(("C:/evil.md", b"x")))
    assert "backslash" in refusal(zip_entries(("..\\..\\evil.md", b"x")))


def test_symlink_is_refused(roles, tmp_path):
    link = zipfile.ZipInfo("sample-track/01-basics/01-welcome.md")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    data = zip_entries(("sample-track/track.toml", b'title = "x"'), (link, b"/etc/passwd"))

    assert "symbolic link" in refusal(data)
    with pytest.raises(content_zip.UnsafeArchiveError):
        content_zip.unpack(data, tmp_path)
    assert list(tmp_path.iterdir()) == []  # checked before anything is written


def test_huge_file_is_refused_before_unpacking(roles):
    # 6 MB of zeros compresses to a few kB: the upload is small, the unpacked size is not.
    data = zip_entries(("sample-track/01-basics/01-big.md", b"\0" * (6 * 1024 * 1024)))

    assert len(data) < 100_000
    message = refusal(data)
    assert "unpacks to 6.0 MB" in message
    assert "5.0 MB" in message


def test_a_size_that_lies_in_the_header_is_caught_while_reading(roles, tmp_path):
    data = bytearray(zip_entries(("a/track.toml", b"x" * 5000)))
    # Patch the uncompressed size in the central directory to claim 10 bytes.
    header = data.rfind(b"PK\x01\x02")
    data[header + 24 : header + 28] = (10).to_bytes(4, "little")

    with pytest.raises(content_zip.UnsafeArchiveError):
        content_zip.unpack(bytes(data), tmp_path, max_bytes=1000)


def test_too_many_files_are_refused(roles):
    data = zip_entries(*((f"t/01-m/{n:03d}-x.md", b"x") for n in range(501)))

    assert "501 files; the limit is 500" in refusal(data)


def test_an_oversized_upload_is_refused(roles):
    assert "the limit is 0.0 MB" in refusal(sample_zip(), max_bytes=10)


@pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")
def test_duplicate_names_are_refused(roles):
    data = zip_entries(("t/track.toml", b"a = 1"), ("t/track.toml", b"a = 2"))

    assert "appears twice" in refusal(data)


def test_encrypted_entries_are_refused(roles):
    data = bytearray(zip_entries(("t/track.toml", b"secret")))
    # zipfile can't write encrypted entries: set the "encrypted" flag bit in both headers.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature) + offset
        data[at] |= 0x1

    assert "encrypted" in refusal(bytes(data))
