"""The daily access dump (R-HR-2): a local day's door access decisions as the export's CSV,
with a SHA-256 manifest that `sha256sum -c` accepts, both written atomically into a
directory; by hand with `gatehouse export dump`, and by the server on schedule ([dump]),
including days it missed while down. Each dump is an export, so each is in the audit log."""

import datetime
import json
import sqlite3
import subprocess
import time
from contextlib import closing
from zoneinfo import ZoneInfo


def audit_actions(data):
    with closing(sqlite3.connect(data / "gatehouse.db")) as db:
        return [json.loads(e) for (e,) in db.execute("SELECT entry FROM audit_entries")]


def local_day_rows(export_csv, day, zone):
    """The rows of a full export whose timestamp falls on `day` in `zone`."""
    lines = export_csv.splitlines()
    rows = [r for r in lines[1:] if datetime.datetime.fromisoformat(
        r.split(",", 1)[0].replace("Z", "+00:00")).astimezone(ZoneInfo(zone)).date() == day]
    return lines[0], rows


def test_a_day_by_hand_in_berlin(gh, tmp_path):
    gh("init")
    # the day and its neighbours: the dump must take only the local day
    for d in ("2026-11-28", "2026-11-29", "2026-11-30"):
        gh("sim", "--people", "30", "--buildings", "1", "--day", d, "--tz", "Europe/Berlin")
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    out = gh("export", "dump", "--dir", str(dumps), "--day", "2026-11-29",
             "--tz", "Europe/Berlin").stdout
    csv = dumps / "access-2026-11-29.csv"
    manifest = dumps / "access-2026-11-29.csv.sha256"
    assert sorted(p.name for p in dumps.iterdir()) == [csv.name, manifest.name]  # no temp
    assert (csv.stat().st_mode & 0o777) == 0o600
    subprocess.run(["sha256sum", "-c", manifest.name], cwd=dumps, check=True,
                   capture_output=True)
    header, want = local_day_rows(gh("export", "events", "--csv").stdout,
                                  datetime.date(2026, 11, 29), "Europe/Berlin")
    got = csv.read_text().splitlines()
    assert got[0] == header and got[1:] == want and len(want) > 100
    assert f"{len(want)} rows, sha256 {manifest.read_text().split()[0]}" in out
    last = [e for e in audit_actions(gh.data) if e["action"] == "export dump"][-1]
    assert last["outcome"] == out.strip()
    # a second run replaces it whole
    csv.write_text("tampered\n")
    gh("export", "dump", "--dir", str(dumps), "--day", "2026-11-29", "--tz", "Europe/Berlin")
    assert csv.read_text().splitlines()[1:] == want
    # refused with what is wrong, and nothing written
    err = gh("export", "dump", "--dir", str(tmp_path / "nowhere"), "--day", "2026-11-29",
             rc=1).stderr
    assert "nowhere/access-2026-11-29.csv: a temporary file cannot be created" in err
    assert "--day: " in gh("export", "dump", "--dir", str(dumps), "--day", "2026-02-30",
                           rc=2).stderr
    assert "--tz: " in gh("export", "dump", "--dir", str(dumps), "--tz", "Mars/Olympus",
                          rc=2).stderr


def test_the_server_dumps_yesterday_and_the_days_it_missed(server_factory, tmp_path):
    today = datetime.datetime.now(datetime.timezone.utc).date()
    yesterday = today - datetime.timedelta(days=1)
    before = today - datetime.timedelta(days=2)
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    s = server_factory()
    s.stop()
    s.gh("sim", "--people", "30", "--buildings", "1", "--day", yesterday.isoformat(),
         "--tz", "UTC")
    # yesterday's is due since 00:00; the day before was missed (the server had no [dump])
    s.start(extra_args=["--set", f"dump.dir={dumps}", "--set", "dump.at=00:00",
                        "--set", "dump.timezone=UTC", "--set", "dump.backfill_days=1"])
    names = [f"access-{d.isoformat()}.csv" for d in (before, yesterday)]
    deadline = time.monotonic() + 30
    while not all((dumps / f"{n}.sha256").exists() for n in names):
        assert time.monotonic() < deadline, sorted(p.name for p in dumps.iterdir())
        time.sleep(0.1)
    for n in names:
        subprocess.run(["sha256sum", "-c", f"{n}.sha256"], cwd=dumps, check=True,
                       capture_output=True)
    header, want = local_day_rows(s.gh("export", "events", "--csv").stdout, yesterday, "UTC")
    assert (dumps / names[1]).read_text().splitlines() == [header] + want and want
    assert (dumps / names[0]).read_text().splitlines() == [header]  # a day with no reads
    entries = [e for e in audit_actions(s.data) if e["action"] == "daily dump"]
    assert sorted(e["outcome"].split(":")[0] for e in entries) == sorted(
        str(dumps / n) for n in names)
    assert all(e["who"] == "gatehouse" and e["auth"] == "system" for e in entries)
    assert "daily dump" in s.log()


def test_bad_dump_settings_are_refused(gh, tmp_path):
    gh("init")
    for setting, says in (
            (f"dump.dir={tmp_path}/missing", "is not a directory this process can write"),
            ("dump.at=25:00", "'25:00' is not a time HH:MM"),
            ("dump.at=7:30", "'7:30' is not a time HH:MM"),
            ("dump.backfill_days=40", "dump.backfill_days"),
    ):
        err = gh("serve", "--check-config", "--set", setting, rc=None).stderr
        assert says in err, (setting, err)
    err = gh("serve", "--check-config", "--set", f"dump.dir={tmp_path}",
             "--set", "dump.timezone=Mars/Olympus", rc=None).stderr
    assert "dump.timezone" in err
