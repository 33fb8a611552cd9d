"""A PBX's configuration handed over as an archive (`tar czf conf.tgz /etc/asterisk`, or a .zip), unpacked safely.

The office manager rarely sits at the PBX: the IT contractor sends its configuration folder as an archive. It is
unpacked into a private temporary folder with limits (size, member count) and without anything that could write
outside it (absolute paths, `..`, links, devices), then the folder that holds the configuration is found inside.
"""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

MAX_TOTAL_BYTES = 64 << 20
MAX_MEMBERS = 5000
MAX_HEADER_BYTES = 1 << 20
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz", ".zip")
_MARKERS = ("sip.conf", "pjsip.conf", "extensions.conf", "asterisk.conf", "vars.xml", "freeswitch.xml")


class ArchiveError(Exception):
    """The archive cannot be used; the message is for people."""


def is_archive(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


class _HeaderTooBig(tarfile.TarError):
    pass


class _BoundedTarInfo(tarfile.TarInfo):
    """A tar header whose own extension (a pax header, a GNU long name) may not be larger than MAX_HEADER_BYTES:
    tarfile reads those into memory whole, before the caller sees the member."""

    def _proc_member(self, tar):  # tarfile's hook for every header read
        if self.type in _META_TYPES and self.size > MAX_HEADER_BYTES:
            raise _HeaderTooBig(f"a tar header extension of {self.size:,} bytes")
        return super()._proc_member(tar)


_META_TYPES = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE, tarfile.GNUTYPE_LONGNAME,
               tarfile.GNUTYPE_LONGLINK)


def _is_tar(archive: Path) -> bool:
    """tarfile.is_tarfile, but reading the first header with the bound."""
    try:
        with tarfile.open(archive, tarinfo=_BoundedTarInfo):
            return True
    except tarfile.ReadError:
        return False


def unpack_config(archive: Path, dest: Path) -> Path:
    """Unpack `archive` into the empty folder `dest`; return the folder inside that holds the configuration."""
    try:
        if zipfile.is_zipfile(archive):
            _unzip(archive, dest)
        elif _is_tar(archive):
            _untar(archive, dest)
        else:
            raise ArchiveError(f"{archive.name} is not a .tar.gz, .tgz, .tar.bz2, .tar.xz, .tar or .zip archive")
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ArchiveError(f"cannot unpack {archive.name}: {exc}") from exc
    root = find_config_root(dest)
    if root is None:
        raise ArchiveError(f"{archive.name} holds no Asterisk (sip.conf, pjsip.conf, extensions.conf) or "
                           f"FreeSWITCH (vars.xml) configuration")
    return root


def find_config_root(top: Path) -> Path | None:
    """The shallowest folder under `top` holding a PBX configuration file."""
    level = [top]
    for _ in range(8):
        nxt: list[Path] = []
        for folder in level:
            if any((folder / m).is_file() for m in _MARKERS):
                return folder
            nxt.extend(sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink()))
        level = nxt
    return None


def _untar(archive: Path, dest: Path) -> None:
    with tarfile.open(archive, tarinfo=_BoundedTarInfo) as tar:
        members = []
        total = 0
        for count, member in enumerate(tar, 1):
            # every member counts, the skipped ones too: reading past a member (of any type, known or not) means
            # decompressing its data, so its size is checked before the next header is read
            _check_count(archive, count)
            total += max(member.size, 0)
            _check_size(archive, total)
            if not (member.isfile() or member.isdir()):
                continue  # links, devices, fifos, unknown types: a configuration needs none of them
            _check_inside(archive, dest, member.name)
            members.append(member)
        # Python's "data" filter (3.11.4 and later) also drops set-user-id bits and the like
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(dest, members=members, **safe)


def _unzip(archive: Path, dest: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        _check_count(archive, len(infos))
        _check_size(archive, sum(i.file_size for i in infos))
        for info in infos:
            _check_inside(archive, dest, info.filename)
        zf.extractall(dest)


def _check_count(archive: Path, members: int) -> None:
    if members > MAX_MEMBERS:
        raise ArchiveError(f"{archive.name} has more than {MAX_MEMBERS} files; not a configuration folder")


def _check_size(archive: Path, total: int) -> None:
    if total > MAX_TOTAL_BYTES:
        raise ArchiveError(f"{archive.name} unpacks to more than {MAX_TOTAL_BYTES >> 20} MiB; not a configuration "
                           f"folder")


def _check_inside(archive: Path, dest: Path, name: str) -> None:
    """Refuse a member named to land outside `dest` (an absolute path, `..`)."""
    base = dest.resolve()
    target = (base / name).resolve()
    if target != base and base not in target.parents:
        raise ArchiveError(f"{archive.name} tries to write outside its folder ({name!r})")
