"""The command line: exit statuses, --help, messages, the data dir and its keys."""

import os
import re
import stat

import pytest

from conftest import GH, parse_tsv, run_gatehouse

USAGE = 2


def overview_commands():
    """The command names listed by `gatehouse --help` ("site add", "decide", ...)."""
    p = run_gatehouse(["--help"])
    names = []
    in_list = False
    for line in p.stdout.splitlines():
        if line.endswith("Commands:"):
            in_list = True
            continue
        if in_list and line.startswith("  "):
            names.append(re.split(r"\s{2,}", line.strip(), maxsplit=1)[0])
        elif in_list and names and not line.strip():
            break
    return names


# ---- exit statuses -----------------------------------------------------------------------


def test_overview_help_lists_the_commands_and_exits_0():
    p = run_gatehouse(["--help"])
    assert p.stdout.startswith("usage: gatehouse")
    assert p.stderr == ""
    names = overview_commands()
    for expected in ["init", "site add", "area lockdown", "door add", "decide", "events",
                     "import people", "export events", "credential set", "person set"]:
        assert expected in names
    assert "Exit status: 0 success, 1 failure, 2 usage error" in p.stdout


def test_no_command_is_a_usage_error():
    p = run_gatehouse([], rc=USAGE)
    assert "usage: gatehouse" in p.stdout


def test_success_is_0(gh):
    p = gh("init")
    assert "initialized" in p.stdout
    assert gh("site", "list").stdout.startswith("id\tname\ttimezone")


def test_failure_is_1(gh):
    gh("init")
    p = gh("area", "add", "Lobby", "--site", "Nowhere", rc=1)
    assert p.stdout == ""
    assert "--site" in p.stderr and "Nowhere" in p.stderr


def test_unknown_command_is_2(gh):
    p = gh("frobnicate", rc=USAGE)
    assert "unknown command 'frobnicate'" in p.stderr
    assert p.stdout == ""


def test_unknown_sub_command_is_2_and_lists_the_verbs(gh):
    p = gh("site", "frobnicate", rc=USAGE)
    assert "site" in p.stderr
    for verb in ("add", "list", "remove"):
        assert verb in p.stderr
    p = gh("site", rc=USAGE)  # missing verb
    assert "add" in p.stderr


def test_unknown_option_is_2(gh):
    gh("init")
    p = gh("site", "list", "--bogus", rc=USAGE)
    assert "unknown option '--bogus'" in p.stderr
    assert "gatehouse site list --help" in p.stderr
    p = run_gatehouse(["--bogus", "site", "list"], rc=USAGE)  # a global option
    assert "--bogus" in p.stderr


def test_unknown_short_option_is_named(gh):
    """An unknown letter inside a cluster ("-2x") is named, not the program's path."""
    gh("init")
    p = gh("site", "list", "-2x", rc=USAGE)
    assert "unknown option '-2'" in p.stderr
    assert "build" not in p.stderr and "gatehouse: site list:" in p.stderr
    p = gh("site", "list", "-Z", rc=USAGE)
    assert "unknown option '-Z'" in p.stderr


def test_value_given_to_a_flag_is_2(gh):
    gh("init")
    p = gh("decide", "--door", "D", "--card", "h10301:1:1", "--record=yes", rc=USAGE)
    assert "--record=yes" in p.stderr


def test_missing_required_option_is_2(gh):
    gh("init")
    p = gh("site", "add", "HQ", rc=USAGE)
    assert "--tz" in p.stderr
    p = gh("decide", "--door", "Main Entrance", rc=USAGE)
    assert "--card" in p.stderr and "--bits" in p.stderr
    p = gh("person", "add", "E1", "--first", "Ann", rc=USAGE)
    assert "--last" in p.stderr
    p = gh("holiday", "add", "--calendar", "Holidays", rc=USAGE)
    assert "--date" in p.stderr
    # an option given without its value
    p = gh("events", "--limit", rc=USAGE)
    assert "--limit" in p.stderr and "needs a value" in p.stderr
    # a missing positional argument
    p = gh("site", "add", "--tz", "UTC", rc=USAGE)
    assert "NAME" in p.stderr


@pytest.mark.parametrize(
    "args, names",
    [
        (["events", "--limit", "abc"], ["--limit", "abc"]),
        (["events", "--limit", "0"], ["--limit"]),
        (["decide", "--door", "X", "--bits", "0102"], ["--bits", "character 4"]),
        (["decide", "--door", "X", "--card", "h10301:12"], ["--card", "h10301:12"]),
        (["decide", "--door", "X", "--card", "h10301:999:1"], ["--card", "facility", "999"]),
        (["decide", "--door", "X", "--card", "weird:1:1"], ["--card", "weird"]),
        (["export", "events", "--from", "yesterday"], ["--from", "yesterday"]),
        (["export", "events", "--to", "2026-13-01"], ["--to", "2026-13-01"]),
        (["schedule", "add", "S", "--interval", "someday 9-5"], ["--interval", "someday 9-5"]),
        (["person", "add", "E 1", "--first", "A", "--last", "B"], ["EMPLOYEE_ID", "E 1"]),
        (["person", "add", "E1", "--first", "A", "--last", "B", "--email", "nope"],
         ["--email", "nope"]),
        (["person", "add", "E1", "--first", "A", "--last", "B", "--kind", "robot"],
         ["--kind", "robot"]),
        (["area", "add", "Lab", "--site", "HQ", "--apb", "sideways"], ["--apb", "sideways"]),
        (["import", "people", "x.csv", "--columns", "a=b", "--mapping", "m"],
         ["--columns", "--mapping"]),
    ],
)
def test_bad_value_is_2_and_names_the_option(gh, args, names):
    gh("init")
    gh("site", "add", "HQ", "--tz", "Europe/Berlin")
    p = gh(*args, rc=USAGE)
    assert p.stdout == ""
    assert p.stderr.startswith("gatehouse: ")
    for n in names:
        assert n in p.stderr, f"{n!r} not named in: {p.stderr}"


def test_bad_time_zone_is_refused_and_named(gh):
    gh("init")
    p = gh("site", "add", "HQ", "--tz", "Mars/Olympus", rc=None)
    assert p.returncode != 0
    assert "--tz" in p.stderr and "Mars/Olympus" in p.stderr
    p = gh("site", "add", "HQ", "--tz", "../../etc/passwd", rc=None)
    assert p.returncode != 0
    assert "--tz" in p.stderr
    assert gh("site", "list").stdout.splitlines()[1:] == []


# ---- --help ------------------------------------------------------------------------------


def test_help_on_every_command(tmp_path):
    """Every command listed by `gatehouse --help` answers --help with its usage, exit 0,
    without a data dir and without creating one (cwd is an empty dir: `demo` would create
    ./gatehouse-data if it ran)."""
    names = overview_commands()
    assert len(names) >= 30
    work = tmp_path / "cwd"
    work.mkdir()
    for name in names:
        p = run_gatehouse(name.split() + ["--help"], cwd=work)
        assert p.stdout.startswith(f"usage: gatehouse [--data DIR] {name}"), (name, p.stdout)
        assert p.stderr == "", (name, p.stderr)
        # the summary shown by the overview is repeated
        assert len(p.stdout.splitlines()) >= 3, (name, p.stdout)
        # -h too
        p = run_gatehouse(name.split() + ["-h"], cwd=work)
        assert p.stdout.startswith(f"usage: gatehouse [--data DIR] {name}"), name
    assert list(work.iterdir()) == []


def test_help_shows_options():
    out = run_gatehouse(["decide", "--help"]).stdout
    for opt in ("--door", "--card", "--bits", "--pin", "--at", "--record"):
        assert opt in out
    out = run_gatehouse(["import", "people", "--help"]).stdout
    for opt in ("--full", "--dry-run", "--columns", "--mapping", "employee_id"):
        assert opt in out
    out = run_gatehouse(["export", "events", "--help"]).stdout
    assert "timestamp,badge_id,door_id,door_name,person_id,employee_id,decision,reason" in out


def test_version():
    p = run_gatehouse(["--version"])
    assert p.stdout.startswith("gatehouse ")


# ---- the data dir ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["site", "list"],
        ["site", "add", "HQ", "--tz", "Europe/Berlin"],
        ["person", "list"],
        ["events"],
        ["export", "events"],
        ["decide", "--door", "Main Entrance", "--card", "h10301:12:3456"],
    ],
)
def test_uninitialized_data_dir_fails_clearly(gh, args):
    p = gh(*args, rc=1)
    assert p.stdout == ""
    assert "not an initialized data dir" in p.stderr
    assert str(gh.data) in p.stderr
    assert "gatehouse init" in p.stderr
    assert not gh.data.exists(), "a failing command must not create the data dir"


def test_empty_existing_dir_is_not_initialized(gh):
    gh.data.mkdir()
    p = gh("site", "list", rc=1)
    assert "not an initialized data dir" in p.stderr


def test_import_into_uninitialized_dir_fails(gh, tmp_path):
    csv_path = tmp_path / "r.csv"
    csv_path.write_text("employee_id,first_name,last_name\nE1,Ann,Berg\n")
    p = gh("import", "people", csv_path, rc=1)
    assert "not an initialized data dir" in p.stderr


def test_init_twice_fails_and_keeps_the_key(gh):
    gh("init")
    key = (gh.data / "keys" / "site.key").read_bytes()
    gh("site", "add", "HQ", "--tz", "Europe/Berlin")
    p = gh("init", rc=1)
    assert "already initialized" in p.stderr
    assert str(gh.data) in p.stderr
    assert (gh.data / "keys" / "site.key").read_bytes() == key
    assert "HQ" in gh("site", "list").stdout


def test_init_takes_no_arguments(gh):
    gh("init", "extra", rc=USAGE)
    assert not (gh.data / "gatehouse.db").exists()


def test_data_dir_and_key_permissions(gh):
    gh("init")
    mode = lambda p: stat.S_IMODE(os.stat(p).st_mode)
    assert mode(gh.data) == 0o700
    assert mode(gh.data / "keys") == 0o700
    key = gh.data / "keys" / "site.key"
    assert mode(key) == 0o600
    assert key.stat().st_size == 32
    db = gh.data / "gatehouse.db"
    assert mode(db) == 0o600
    # every file the binary leaves behind (WAL, shared memory) is private too
    gh("site", "add", "HQ", "--tz", "Europe/Berlin")
    for p in gh.data.rglob("*"):
        if p.is_file():
            assert mode(p) & 0o077 == 0, f"{p} is {oct(mode(p))}"


def test_init_makes_an_existing_dir_private(gh):
    """A data dir made beforehand (by hand, a mounted volume) ends up 0700 as well."""
    gh.data.mkdir(mode=0o755)
    os.chmod(gh.data, 0o755)
    gh("init")
    assert stat.S_IMODE(os.stat(gh.data).st_mode) == 0o700
    assert (gh.data / "keys" / "site.key").stat().st_size == 32


def test_init_on_a_file_fails(gh):
    gh.data.write_text("not a dir")
    p = gh("init", rc=1)
    assert str(gh.data) in p.stderr and "not a directory" in p.stderr


def test_site_keys_are_random(tmp_path):
    a, b = GH(tmp_path / "a"), GH(tmp_path / "b")
    a("init")
    b("init")
    ka = (a.data / "keys" / "site.key").read_bytes()
    kb = (b.data / "keys" / "site.key").read_bytes()
    assert ka != kb
    assert ka != bytes(32)


def test_gatehouse_data_env_is_honoured(gh, tmp_path):
    env = {"GATEHOUSE_DATA": str(gh.data)}
    gh("init", data=False, env=env)
    assert (gh.data / "gatehouse.db").exists()
    gh("site", "add", "HQ", "--tz", "Europe/Berlin", data=False, env=env)
    assert "HQ" in gh("site", "list", data=False, env=env).stdout
    # the same data through --data
    assert "HQ" in gh("site", "list").stdout
    # --data wins over the environment
    other = GH(tmp_path / "other")
    other("init", env=env)
    assert "HQ" not in other("site", "list", env=env).stdout
    # the error names the dir from the environment
    env = {"GATEHOUSE_DATA": str(tmp_path / "missing")}
    p = gh("site", "list", data=False, env=env, rc=1)
    assert str(tmp_path / "missing") in p.stderr


def test_default_data_dir_is_gatehouse_data_in_cwd(tmp_path):
    run_gatehouse(["init"], cwd=tmp_path)
    assert (tmp_path / "gatehouse-data" / "gatehouse.db").exists()
    run_gatehouse(["site", "add", "HQ", "--tz", "UTC"], cwd=tmp_path)
    assert "HQ" in GH(tmp_path / "gatehouse-data")("site", "list").stdout


def test_data_option_anywhere_and_with_equals(gh):
    gh("init")
    run_gatehouse(["site", "add", "HQ", "--tz", "UTC", "--data", gh.data])
    run_gatehouse([f"--data={gh.data}", "site", "add", "Annex", "--tz", "UTC"])
    out = run_gatehouse(["site", "list", f"--data={gh.data}"]).stdout
    assert "HQ" in out and "Annex" in out


# ---- duplicates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, what",
    [
        (["site", "add", "HQ", "--tz", "UTC"], "site 'HQ'"),
        (["area", "add", "Lobby", "--site", "HQ"], "area 'Lobby'"),
        (["door", "add", "Main Entrance", "--site", "HQ", "--from", "Outside", "--to", "Lobby"],
         "door 'Main Entrance'"),
        (["calendar", "add", "Holidays"], "Holidays"),
        (["holiday", "add", "--calendar", "Holidays", "--date", "2026-12-25",
          "--name", "Christmas Day"], "Christmas Day"),
        (["schedule", "add", "Office Hours", "--interval", "daily 08:00-09:00"],
         "schedule 'Office Hours'"),
        (["level", "add", "Staff"], "level 'Staff'"),
        (["person", "add", "E100", "--first", "Someone", "--last", "Else"], "E100"),
        (["credential", "add", "--person", "E200", "--card", "h10301:12:3456"], "12:3456"),
        (["department", "add", "Engineering"], "Engineering"),
    ],
)
def test_duplicate_names_are_rejected(site, args, what):
    gh = site.gh
    lists = ["site", "area", "door", "schedule", "level", "person", "credential", "department"]
    before = {l: gh(l, "list").stdout for l in lists}
    p = gh(*args, rc=1)
    assert "already exists" in p.stderr
    assert what in p.stderr
    assert p.stdout == ""
    assert {l: gh(l, "list").stdout for l in lists} == before


def test_a_door_is_placed_with_position(site):
    gh = site.gh
    door = lambda: {r["name"]: r for r in parse_tsv(gh("door", "list").stdout)}[site.main]
    assert door()["position"] == ""
    gh("door", "set", site.main, "--position", "120,-35")
    placed = door()
    assert placed["position"] == "120,-35"
    for bad in ("120", "1,x", "1000001,0", ",5", "1,2,3"):
        p = gh("door", "set", site.main, "--position", bad, rc=2)
        assert "--position" in p.stderr and bad in p.stderr
        assert door() == placed
    gh("door", "set", site.main, "--no-position")
    assert door()["position"] == ""


def test_the_site_script(site):
    """The site fixture: what the scripted commands built, as the list commands show it."""
    gh = site.gh
    assert [r["name"] for r in parse_tsv(gh("site", "list").stdout)] == ["HQ"]
    areas = {r["name"]: r for r in parse_tsv(gh("area", "list").stdout)}
    assert set(areas) == {"Outside", "Lobby", "Lab"}
    assert areas["Lab"]["apb"] == "hard"
    assert areas["Lab"]["parent"] == areas["Lobby"]["id"]
    doors = {r["name"]: r for r in parse_tsv(gh("door", "list").stdout)}
    assert doors[site.main]["mode"] == "card" and doors[site.lab]["mode"] == "card_pin"
    scheds = {r["name"]: r for r in parse_tsv(gh("schedule", "list").stdout)}
    assert "07:00-19:00" in scheds["Office Hours"]["intervals"]
    assert scheds["Office Hours"]["calendar"] != "0"
    levels = gh("level", "list").stdout.split("\n\n")
    assert {r["name"] for r in parse_tsv(levels[0])} == {"Staff", "Lab", "Night"}
    assert len(parse_tsv(levels[1])) == 3
    assert {p["employee_id"] for p in gh.people()} == {site.ann, site.bob, site.cleo}
    creds = {c["card"]: c for c in gh.credentials()}
    assert set(creds) == {site.ann_card, site.bob_card, site.cleo_card}
    assert creds[site.ann_card]["pin"] == "pin"


def test_card_bits_round_trips_through_decide(site):
    gh = site.gh
    bits = gh("card", "bits", site.ann_card).stdout.strip()
    assert len(bits) == 26 and set(bits) <= {"0", "1"}
    p = site.gh("decide", "--door", site.main, "--bits", bits, "--at", site.weekday)
    assert p.stdout.startswith("GRANTED")
    gh("card", "bits", "h10301:256:1", rc=2)  # facility out of range for 26-bit
    gh("card", "bits", "nonsense", rc=2)


def test_manual_status_changes_are_logged(site):
    gh = site.gh
    gh("credential", "set", site.bob_card, "--status", "lost")
    gh("person", "set", site.ann, "--status", "terminated")
    events = gh("events", "--limit", "10").stdout
    assert '"action":"credential.status"' in events and '"to":"lost"' in events
    assert '"action":"person.status"' in events and '"to":"terminated"' in events
    assert "credential.revoked" in events


def test_export_output_over_an_existing_file_is_private(site, tmp_path):
    out = tmp_path / "log.csv"
    out.write_text("old\n")
    out.chmod(0o644)
    site.gh("export", "events", "--output", out)
    assert (out.stat().st_mode & 0o777) == 0o600
    assert out.read_text().startswith("timestamp,")


def test_names_are_unique_and_found_ignoring_case(site):
    gh = site.gh
    p = gh("site", "add", "hq", "--tz", "UTC", rc=1)
    assert "already exists" in p.stderr
    p = gh("decide", "--door", site.main.lower(), "--card", site.ann_card, "--at", site.weekday)
    assert p.stdout.startswith("GRANTED")
