"""A hostile configuration archive (issue 15): includes stay inside the folder, each file is read once, one byte
budget across all includes, every archive member counts, and nothing blocks on a FIFO or /dev/stdin."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from ghostwatch.core.hardening.archive import MAX_MEMBERS, MAX_TOTAL_BYTES, ArchiveError, unpack_config
from ghostwatch.core.hardening.asterisk_conf import read_conf
from ghostwatch.core.hardening.audit import AuditError, run_audit
from ghostwatch.core.hardening.textfile import MAX_FILE_BYTES, ConfigFiles
from ghostwatch.paths import resources_dir

SIP = "[general]\nallowguest=no\nalwaysauthreject=yes\n\n[100]\ntype=friend\nsecret=Xq9!vLr7#pT2\n"


def tgz(path: Path, files: dict[str, bytes], extra: list[tuple[tarfile.TarInfo, bytes | None]] = ()) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in extra:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def big_include(times: int) -> dict[str, bytes]:
    """sip.conf including one 4 MiB file `times` times (compresses to a few KB)."""
    big = (b"; filler\n" * (MAX_FILE_BYTES // 9 + 1))[:MAX_FILE_BYTES]
    return {"conf/sip.conf": (SIP + "#include big.conf\n" * times).encode(), "conf/big.conf": big}


def test_a_file_included_200_times_is_read_once_within_the_budget(tmp_path):
    archive = tgz(tmp_path / "conf.tgz", big_include(200))
    assert archive.stat().st_size < 16 << 10
    root = unpack_config(archive, tmp_path / "out")
    files = ConfigFiles(root)
    conf = read_conf(root, "sip.conf", files)
    assert conf is not None
    assert files.opened.count((root / "big.conf").resolve()) == 1
    assert files.used <= files.budget
    assert any("add up to more than" in p for p in conf.problems)
    assert conf.find("100")[0].value("secret") == "Xq9!vLr7#pT2"  # the real settings are still read
    # the whole audit shares one reader: big.conf is opened once in all
    result = run_audit(archive, resources_dir())
    assert any("add up to more than" in p for p in result.problems)


@pytest.mark.parametrize("include", ["/dev/stdin", "/dev/zero", "/etc/*", "/etc/passwd", "../../../../etc/passwd",
                                     "../../*", "/proc/self/environ"])
def test_includes_outside_the_folder_are_not_read(tmp_path, include):
    archive = tgz(tmp_path / "conf.tgz", {"conf/sip.conf": (SIP + f"#include {include}\n"
                                                            f"#tryinclude {include}\n").encode()})
    proc = subprocess.run([sys.executable, "-m", "ghostwatch", "audit", "--json", str(archive)], stdin=subprocess.PIPE,
                          capture_output=True, text=True, timeout=60)  # a read of stdin would wait here forever
    assert "Traceback" not in proc.stderr
    doc = json.loads(proc.stdout)
    assert any("outside the configuration folder" in p for p in doc["problems"]), doc["problems"]
    assert "root:x:0:0" not in proc.stdout and "/etc/hostname" not in proc.stdout
    root = unpack_config(archive, tmp_path / "out")
    conf = read_conf(root, "sip.conf")
    assert conf is not None and conf.files == [str(root / "sip.conf")]


def test_absolute_includes_of_etc_asterisk_mean_the_copy(tmp_path):
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    (conf_dir / "sip.conf").write_text("#include /etc/asterisk/sip_custom.conf\n#include /etc/asterisk/custom/*.conf\n")
    (conf_dir / "sip_custom.conf").write_text("[custom1]\ntype=peer\n")
    (conf_dir / "custom").mkdir()
    (conf_dir / "custom" / "a.conf").write_text("[custom2]\ntype=peer\n")
    conf = read_conf(conf_dir, "sip.conf")
    assert [s.name for s in conf.sections] == ["custom1", "custom2"]


def test_a_fifo_or_a_link_out_of_the_folder_is_never_opened(tmp_path):
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    os.mkfifo(conf_dir / "pipe.conf")
    (tmp_path / "secret.conf").write_text("[leak]\nsecret=outside\n")
    (conf_dir / "link.conf").symlink_to(tmp_path / "secret.conf")
    (conf_dir / "sip.conf").write_text(SIP + "#include pipe.conf\n#include link.conf\n")
    proc = subprocess.run([sys.executable, "-m", "ghostwatch", "audit", "--json", str(conf_dir)],
                          capture_output=True, text=True, timeout=60)  # opening the FIFO would block forever
    doc = json.loads(proc.stdout)
    assert any("not a regular file" in p for p in doc["problems"])
    assert any("outside the configuration folder" in p for p in doc["problems"])
    assert "outside\"" not in proc.stdout and "[leak]" not in proc.stdout


def test_a_member_of_unknown_type_counts_towards_the_size_limit(tmp_path):
    info = tarfile.TarInfo("conf/blob")
    info.type = b"Z"  # no tar type: tarfile skips its data, which means decompressing it
    info.size = MAX_TOTAL_BYTES + 1
    archive = tmp_path / "bomb.tgz"
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        tar.addfile(info, io.BytesIO(bytes(info.size)))
        sip = tarfile.TarInfo("conf/sip.conf")
        sip.size = len(SIP)
        tar.addfile(sip, io.BytesIO(SIP.encode()))
    assert archive.stat().st_size < MAX_TOTAL_BYTES // 100
    with pytest.raises(ArchiveError, match="unpacks to more than"):
        unpack_config(archive, tmp_path / "out")


def test_skipped_members_count_towards_the_member_limit(tmp_path):
    links = []
    for i in range(MAX_MEMBERS + 1):
        info = tarfile.TarInfo(f"conf/link{i}")
        info.type = tarfile.SYMTYPE
        info.linkname = "sip.conf"
        links.append((info, None))
    archive = tgz(tmp_path / "links.tgz", {"conf/sip.conf": SIP.encode()}, links)
    with pytest.raises(AuditError, match=f"more than {MAX_MEMBERS} files"):
        run_audit(archive, resources_dir())


def test_a_huge_pax_header_is_refused_before_it_is_read(tmp_path):
    """tarfile reads a pax header (or a GNU long name) into memory whole: 64 MiB of one, gzip-compressed to a few
    KB, is refused from its size field instead."""
    import gzip
    import resource

    size = 64 << 20
    head = tarfile.TarInfo("././@PaxHeader")
    head.type = tarfile.XHDTYPE
    head.size = size
    block = head.tobuf(format=tarfile.USTAR_FORMAT)
    archive = tmp_path / "pax.tgz"
    with gzip.open(archive, "wb", compresslevel=1) as gz:
        gz.write(block)
        zeros = bytes(1 << 20)
        for _ in range(size >> 20):
            gz.write(zeros)
        gz.write(bytes(1024))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ArchiveError, match="header extension"):
        unpack_config(archive, tmp_path / "out")
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 32, f"peak memory grew by {grown_mib:.0f} MiB"
