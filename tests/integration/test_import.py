"""`import people`: the HR roster CSV, upserted by employee id, all or nothing."""

import csv
import io
import re
import sqlite3

import pytest

from conftest import ROSTER_DATA

GOOD = ROSTER_DATA / "good.csv"
BAD = ROSTER_DATA / "bad.csv"
WORKDAY = ROSTER_DATA / "workday_export.csv"
WORKDAY_MAP = ROSTER_DATA / "workday.map"

HEADER = ["employee_id", "first_name", "last_name", "email", "department", "title",
          "manager_id", "status", "start_date", "end_date", "kind"]

SUMMARY = re.compile(
    r"^(?:imported|dry run of) (?P<file>.+): (?P<rows>\d+) rows?: (?P<created>\d+) created, "
    r"(?P<updated>\d+) updated, (?P<unchanged>\d+) unchanged, (?P<terminated>\d+) terminated "
    r"\((?P<absent>\d+) absent from the file\), "
    r"(?P<revoked>\d+) credentials? revoked, (?P<reviews>\d+) access reviews? opened"
    r"(?P<dry> \(nothing was changed\))?$"
)


def summary(proc):
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout
    m = SUMMARY.match(lines[0])
    assert m, f"not a summary line: {lines[0]!r}"
    return {k: (v if k == "file" else int(v)) for k, v in m.groupdict().items()
            if k not in ("absent", "dry")}


def counts(proc):
    s = summary(proc)
    del s["file"]
    return s


def read_rows(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def write_csv(path, rows, header=HEADER, newline="\n", bom=False):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator=newline, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode())
    return path


def changed(rows, employee_id, **fields):
    out = []
    for r in rows:
        r = dict(r)
        if r["employee_id"] == employee_id:
            r.update(fields)
        out.append(r)
    return out


def without(rows, *employee_ids):
    return [r for r in rows if r["employee_id"] not in employee_ids]


def people(gh):
    return {p["employee_id"]: p for p in gh.people()}


def db(gh):
    """The store, read-only, for what the CLI does not show (managers, titles)."""
    return sqlite3.connect(f"file:{gh.data / 'gatehouse.db'}?mode=ro", uri=True)


def snapshot(gh):
    """Everything an import could change, as the CLI shows it."""
    return {
        "people": gh("person", "list").stdout,
        "credentials": gh("credential", "list").stdout,
        "departments": gh("department", "list").stdout,
        "events": gh.events(),
        "export": gh("export", "events", "--all", "--jsonl").stdout,
    }


@pytest.fixture
def hq(site):
    """The site with the good roster imported; E1002 holds two cards and level Staff."""
    gh = site.gh
    gh("import", "people", GOOD)
    gh("credential", "add", "--person", "E1002", "--card", "h10301:20:1002")
    gh("credential", "add", "--person", "E1002", "--card", "h10301:20:2002")
    gh("assign", "E1002", "Staff")
    return site


def test_roster_data_is_present():
    for p in (GOOD, BAD, WORKDAY, WORKDAY_MAP):
        assert p.exists(), p


# ---- a good roster ---------------------------------------------------------------------


def test_import_good_roster(gh):
    gh.init()
    rows = read_rows(GOOD)
    p = gh("import", "people", GOOD)
    s = summary(p)
    assert s["file"] == str(GOOD)
    assert counts(p) == dict(rows=len(rows), created=len(rows), updated=0, unchanged=0,
                             terminated=0, revoked=0, reviews=0)
    got = people(gh)
    assert set(got) == {r["employee_id"] for r in rows}
    for r in rows:
        g = got[r["employee_id"]]
        assert (g["first"], g["last"]) == (r["first_name"], r["last_name"])
        assert g["status"] == (r["status"] or "active")
        assert g["kind"] == (r["kind"] or "employee")
        if r["start_date"]:
            assert g["from"] == r["start_date"] + "T00:00:00.000000Z"
    depts = gh("department", "list").stdout
    for d in {r["department"] for r in rows if r["department"]}:
        assert f"\t{d}\n" in depts
    # titles (with a comma inside quotes) and managers are stored
    with db(gh) as c:
        titles = dict(c.execute("SELECT employee_id, title FROM people"))
        managers = dict(c.execute(
            "SELECT p.employee_id, m.employee_id FROM people p "
            "LEFT JOIN people m ON m.id = p.manager_id"))
    for r in rows:
        assert titles[r["employee_id"]] == r["title"]
        assert managers[r["employee_id"]] == (r["manager_id"] or None)
    # the import is in the event log
    assert sum("roster.import" in e for e in gh.events()) == 1


def test_reimport_unchanged(gh):
    gh.init()
    n = len(read_rows(GOOD))
    gh("import", "people", GOOD)
    before = gh("person", "list").stdout
    p = gh("import", "people", GOOD)
    assert counts(p) == dict(rows=n, created=0, updated=0, unchanged=n, terminated=0,
                             revoked=0, reviews=0)
    assert gh("person", "list").stdout == before


def test_title_change_is_an_update(gh, tmp_path):
    gh.init()
    rows = read_rows(GOOD)
    gh("import", "people", GOOD)
    f = write_csv(tmp_path / "r.csv", changed(rows, "E1003", title="Principal Engineer"))
    p = gh("import", "people", f)
    assert counts(p) == dict(rows=len(rows), created=0, updated=1, unchanged=len(rows) - 1,
                             terminated=0, revoked=0, reviews=0)
    with db(gh) as c:
        assert c.execute("SELECT title FROM people WHERE employee_id='E1003'").fetchone() == (
            "Principal Engineer",)


def test_department_change_opens_an_access_review(gh, tmp_path):
    gh.init()
    rows = read_rows(GOOD)
    gh("import", "people", GOOD)
    f = write_csv(tmp_path / "r.csv", changed(rows, "E1009", department="Engineering"))
    p = gh("import", "people", f)
    c = counts(p)
    assert (c["updated"], c["unchanged"], c["reviews"]) == (1, len(rows) - 1, 1)
    reviews = [e for e in gh.events() if "access.review" in e]
    assert len(reviews) == 1
    assert "E1009" in reviews[0]
    assert "Facilities" in reviews[0] and "Engineering" in reviews[0]
    # a new department is created on the way
    f = write_csv(tmp_path / "r2.csv", changed(rows, "E1009", department="Security"))
    assert counts(gh("import", "people", f))["reviews"] == 1
    assert "\tSecurity\n" in gh("department", "list").stdout


def test_termination_by_status_revokes_credentials(hq, tmp_path):
    gh = hq.gh
    rows = read_rows(GOOD)
    d = gh("decide", "--door", hq.main, "--card", "h10301:20:1002", "--at", hq.weekday)
    assert d.stdout.startswith("GRANTED")
    f = write_csv(tmp_path / "r.csv", changed(rows, "E1002", status="terminated",
                                              end_date="2026-11-30"))
    c = counts(gh("import", "people", f))
    assert (c["updated"], c["terminated"], c["revoked"]) == (1, 1, 2)
    assert [x["status"] for x in gh.credentials(person="E1002")] == ["revoked", "revoked"]
    assert people(gh)["E1002"]["status"] == "terminated"
    d = gh("decide", "--door", hq.main, "--card", "h10301:20:1002", "--at", hq.weekday)
    assert d.stdout.startswith("DENIED: credential_inactive")
    assert "revoked" in d.stdout
    revoked = [e for e in gh.events() if "credential.revoked" in e]
    assert len(revoked) == 1 and "E1002" in revoked[0]
    # importing the same file again terminates nobody twice
    c = counts(gh("import", "people", f))
    assert (c["terminated"], c["revoked"], c["unchanged"]) == (0, 0, len(rows))
    # other people's cards are untouched
    assert all(x["status"] == "active" for x in gh.credentials(person=hq.bob))


def test_full_feed_terminates_people_missing_from_it(hq, tmp_path):
    gh = hq.gh
    gh("person", "add", "V1", "--first", "Vera", "--last", "Visitor", "--kind", "visitor")
    gh("credential", "add", "--person", "V1", "--card", "h10301:30:1")
    rows = without(read_rows(GOOD), "E1002")
    f = write_csv(tmp_path / "r.csv", rows)
    # without --full, absence changes nothing
    c = counts(gh("import", "people", f))
    assert (c["terminated"], c["revoked"], c["unchanged"]) == (0, 0, len(rows))
    assert people(gh)["E1002"]["status"] == "active"
    # with --full: E1002 and the site's own staff (Ann, Bob, contractor Cleo) are not in the
    # feed; the visitor and the already terminated are left alone
    p = gh("import", "people", f, "--full")
    c = counts(p)
    assert c["terminated"] == 4
    assert c["revoked"] == 2 + 3  # E1002's two cards, one each for Ann, Bob, Cleo
    got = people(gh)
    for eid in ("E1002", hq.ann, hq.bob, hq.cleo):
        assert got[eid]["status"] == "terminated", eid
    assert got["V1"]["status"] == "active"
    assert [x["status"] for x in gh.credentials(person="V1")] == ["active"]
    assert [x["status"] for x in gh.credentials(person="E1002")] == ["revoked", "revoked"]
    for r in rows:
        assert got[r["employee_id"]]["status"] == (r["status"] or "active")
    d = gh("decide", "--door", hq.main, "--card", "h10301:20:2002", "--at", hq.weekday)
    assert d.stdout.startswith("DENIED: credential_inactive")
    d = hq.decide(hq.main, hq.ann_card)
    assert d.stdout.startswith("DENIED: credential_inactive")
    assert any('"full":true' in e for e in gh.events())


# ---- a bad roster -----------------------------------------------------------------------


def test_bad_roster_is_rejected_with_every_error_and_nothing_changes(hq):
    gh = hq.gh
    before = snapshot(gh)
    p = gh("import", "people", BAD, rc=1)
    assert p.stdout == ""
    err_lines = p.stderr.splitlines()
    located = re.compile(r"^" + re.escape(str(BAD)) + r":(\d+):(\d+): (.+)$")
    errors = [located.match(l) for l in err_lines if located.match(l)]
    # the last line says how many and that nothing was imported
    m = re.search(r"(\d+) errors?; nothing was imported", err_lines[-1])
    assert m, p.stderr
    assert int(m.group(1)) == len(errors)
    # every data row of bad.csv but the first is broken in its own way
    n_lines = len(BAD.read_text().splitlines())
    assert sorted({int(e.group(1)) for e in errors}) == list(range(3, n_lines + 1))
    header = BAD.read_text().splitlines()[0].split(",")
    for e in errors:
        col, msg = int(e.group(2)), e.group(3)
        assert 0 <= col <= len(header)
        if col > 0 and "quote" not in msg:
            assert header[col - 1] in msg, e.group(0)
    by_pos = {(int(e.group(1)), int(e.group(2))): e.group(3) for e in errors}
    # a few of them precisely
    assert "first_name" in by_pos[(4, 2)]
    assert "retired" in by_pos[(6, 8)]
    assert "2018-02-30" in by_pos[(7, 9)]
    assert "E1001" in by_pos[(11, 1)] and "twice" in by_pos[(11, 1)]
    assert snapshot(gh) == before


def test_one_bad_row_rolls_back_a_termination(hq, tmp_path):
    gh = hq.gh
    rows = changed(read_rows(GOOD), "E1002", status="terminated")
    rows.append(dict(employee_id="E1999", first_name="Nina", last_name="Null",
                     email="not-an-address"))
    f = write_csv(tmp_path / "r.csv", rows)
    before = snapshot(gh)
    p = gh("import", "people", f, rc=1)
    line = len(rows) + 1
    assert f"{f}:{line}:4: " in p.stderr
    assert "not-an-address" in p.stderr
    assert snapshot(gh) == before
    assert [x["status"] for x in gh.credentials(person="E1002")] == ["active", "active"]


def test_unknown_manager_rejects_the_file(hq, tmp_path):
    gh = hq.gh
    rows = changed(read_rows(GOOD), "E1002", status="terminated")
    rows = changed(rows, "E1009", manager_id="X404")
    f = write_csv(tmp_path / "r.csv", rows)
    before = snapshot(gh)
    p = gh("import", "people", f, rc=1)
    assert "X404" in p.stderr and "manager_id" in p.stderr
    line = 1 + [r["employee_id"] for r in rows].index("E1009") + 1
    assert f"line {line}" in p.stderr or f":{line}:" in p.stderr, p.stderr
    assert "nothing was imported" in p.stderr
    assert p.stdout == ""
    assert snapshot(gh) == before
    assert [x["status"] for x in gh.credentials(person="E1002")] == ["active", "active"]


def test_self_manager_rejects_the_file(gh, tmp_path):
    gh.init()
    f = write_csv(tmp_path / "r.csv", [dict(employee_id="E1", first_name="Ann", last_name="Berg",
                                            manager_id="E1")])
    p = gh("import", "people", f, rc=1)
    assert "manager_id" in p.stderr
    assert gh.people() == []


def test_manager_later_in_the_file(gh, tmp_path):
    gh.init()
    rows = [
        dict(employee_id="E1", first_name="Ann", last_name="Berg", manager_id="E3"),
        dict(employee_id="E2", first_name="Bob", last_name="Chen", manager_id="E1"),
        dict(employee_id="E3", first_name="Cleo", last_name="Dietz", manager_id=""),
    ]
    f = write_csv(tmp_path / "r.csv", rows)
    assert counts(gh("import", "people", f))["created"] == 3
    with db(gh) as c:
        managers = dict(c.execute(
            "SELECT p.employee_id, m.employee_id FROM people p "
            "LEFT JOIN people m ON m.id = p.manager_id"))
    assert managers == {"E1": "E3", "E2": "E1", "E3": None}
    # re-import: nothing changed
    c = counts(gh("import", "people", f))
    assert (c["unchanged"], c["updated"]) == (3, 0)


def test_manager_change_to_a_new_person_later_in_the_file_is_an_update(gh, tmp_path):
    """E1 exists without a manager; the next file gives E1 a manager who is new and comes
    later in the file. E1 changed: the summary (and the event log's import record) must
    count it as updated, not unchanged."""
    gh.init()
    e1 = dict(employee_id="E1", first_name="Ann", last_name="Berg", manager_id="")
    gh("import", "people", write_csv(tmp_path / "a.csv", [e1]))
    rows = [dict(e1, manager_id="E5"), dict(employee_id="E5", first_name="Eve", last_name="Fox")]
    c = counts(gh("import", "people", write_csv(tmp_path / "b.csv", rows)))
    assert (c["created"], c["updated"], c["unchanged"]) == (1, 1, 0)
    with db(gh) as conn:
        assert conn.execute(
            "SELECT m.employee_id FROM people p JOIN people m ON m.id = p.manager_id "
            "WHERE p.employee_id = 'E1'").fetchone() == ("E5",)
    assert '"updated":1' in gh.events()[-1]


# ---- column mapping ---------------------------------------------------------------------

WORKDAY_COLUMNS = ("employee_id=Employee ID,first_name=Legal First Name,"
                   "last_name=Legal Last Name,email=Work Email,department=Cost Center,"
                   "title=\"Business Title\",manager_id=Manager ID,status=Worker Status,"
                   "start_date=Hire Date,end_date=Termination Date")


def check_workday_people(gh):
    rows = read_rows(WORKDAY)
    got = people(gh)
    assert set(got) == {r["Employee ID"] for r in rows}
    status = {"Active": "active", "On Leave": "on_leave", "Terminated": "terminated"}
    for r in rows:
        g = got[r["Employee ID"]]
        assert (g["first"], g["last"]) == (r["Legal First Name"], r["Legal Last Name"])
        assert g["status"] == status[r["Worker Status"]]
    with db(gh) as c:
        titles = dict(c.execute("SELECT employee_id, title FROM people"))
        emails = dict(c.execute("SELECT employee_id, email FROM people"))
    for r in rows:
        assert titles[r["Employee ID"]] == r["Business Title"]  # 'Director, Platform' ...
        assert emails[r["Employee ID"]] == r["Work Email"]


@pytest.mark.parametrize("how", ["columns", "mapping"])
def test_hr_style_header_mapped(gh, how):
    gh.init()
    opt = ["--columns", WORKDAY_COLUMNS] if how == "columns" else ["--mapping", WORKDAY_MAP]
    n = len(read_rows(WORKDAY))
    p = gh("import", "people", WORKDAY, *opt)
    c = counts(p)
    assert (c["rows"], c["created"]) == (n, n)
    # the one column nobody maps is reported, not fatal
    assert "'Pay Group' is not used" in p.stderr
    check_workday_people(gh)
    c = counts(gh("import", "people", WORKDAY, *opt))
    assert c["unchanged"] == n


def test_mapping_file_comments_and_blank_lines(gh, tmp_path):
    gh.init()
    m = tmp_path / "hr.map"
    m.write_text("# my HR system\n\nemployee_id = Person Number\n"
                 "first_name=Given Name\n  last_name   =   \"Family Name, Legal\"  \n")
    f = tmp_path / "hr.csv"
    f.write_text('"Person Number","Given Name","Family Name, Legal"\n'
                 'P-1,Ann,"Berg, Jr."\n')
    assert counts(gh("import", "people", f, "--mapping", m))["created"] == 1
    assert people(gh)["P-1"]["last"] == "Berg, Jr."


def test_columns_with_a_quoted_name_containing_a_comma(gh, tmp_path):
    gh.init()
    f = tmp_path / "hr.csv"
    f.write_text('ID,"Name, Given","Name, Family"\nP-1,Ann,Berg\n')
    cols = 'employee_id=ID,first_name="Name, Given",last_name="Name, Family"'
    assert counts(gh("import", "people", f, "--columns", cols))["created"] == 1
    assert people(gh)["P-1"]["first"] == "Ann"


def test_unknown_columns_are_reported_but_not_fatal(gh, tmp_path):
    gh.init()
    f = tmp_path / "r.csv"
    f.write_text("employee_id,first_name,Badge Color,last_name,Shoe Size\n"
                 "E1,Ann,red,Berg,38\n")
    p = gh("import", "people", f)
    assert counts(p)["created"] == 1
    assert "'Badge Color' is not used" in p.stderr
    assert "'Shoe Size' is not used" in p.stderr
    assert people(gh)["E1"]["last"] == "Berg"


@pytest.mark.parametrize("missing", ["employee_id", "first_name", "last_name"])
def test_missing_required_column_is_fatal(gh, tmp_path, missing):
    gh.init()
    header = [h for h in HEADER if h != missing]
    f = write_csv(tmp_path / "r.csv", [dict(employee_id="E1", first_name="Ann",
                                            last_name="Berg")], header=header)
    p = gh("import", "people", f, rc=1)
    assert missing in p.stderr and "missing required column" in p.stderr
    assert str(f) in p.stderr
    assert "nothing was imported" in p.stderr
    assert gh.people() == []
    assert gh.events() == []


def test_mapped_column_absent_from_the_file_is_fatal(gh):
    gh.init()
    cols = WORKDAY_COLUMNS.replace("Legal Last Name", "Surname")
    p = gh("import", "people", WORKDAY, "--columns", cols, rc=1)
    assert "Surname" in p.stderr and "last_name" in p.stderr
    assert gh.people() == []


def test_bad_mapping_is_reported(gh, tmp_path):
    gh.init()
    p = gh("import", "people", WORKDAY, "--columns", "employee_id=Employee ID,frist_name=X",
           rc=2)
    assert "--columns" in p.stderr and "frist_name" in p.stderr
    m = tmp_path / "bad.map"
    m.write_text("employee_id = Employee ID\nthis is not a mapping\n")
    p = gh("import", "people", WORKDAY, "--mapping", m, rc=1)
    assert f"{m}:2" in p.stderr
    p = gh("import", "people", WORKDAY, "--mapping", tmp_path / "none.map", rc=1)
    assert "none.map" in p.stderr
    assert gh.people() == []


def test_duplicate_header_column_is_fatal(gh, tmp_path):
    gh.init()
    f = tmp_path / "r.csv"
    f.write_text("employee_id,first_name,last_name,first_name\nE1,Ann,Berg,Anna\n")
    p = gh("import", "people", f, rc=1)
    assert "first_name" in p.stderr
    assert gh.people() == []


# ---- CSV dialect ------------------------------------------------------------------------


def test_crlf_bom_and_quoted_fields(gh, tmp_path):
    gh.init()
    rows = [
        dict(employee_id="E1", first_name="Ann", last_name="Berg, Jr.",
             title='Analyst, "Treasury"', department="R&D, Lab"),
        dict(employee_id="E2", first_name="Bob", last_name="Chen", title="Engineer",
             department="R&D, Lab", manager_id="E1"),
    ]
    f = write_csv(tmp_path / "r.csv", rows, newline="\r\n", bom=True)
    raw = f.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfemployee_id,") and b'"Analyst, ""Treasury"""' in raw
    c = counts(gh("import", "people", f))
    assert (c["rows"], c["created"]) == (2, 2)
    got = people(gh)
    assert got["E1"]["last"] == "Berg, Jr."
    assert got["E2"]["last"] == "Chen"  # no stray CR
    with db(gh) as conn:
        assert dict(conn.execute("SELECT employee_id, title FROM people")) == {
            "E1": 'Analyst, "Treasury"', "E2": "Engineer"}
    assert "\tR&D, Lab\n" in gh("department", "list").stdout
    assert counts(gh("import", "people", f))["unchanged"] == 2


def test_quoted_newline_spans_lines_and_keeps_line_numbers(gh, tmp_path):
    """A quoted field may hold a line break (RFC 4180): the record spans two physical lines
    and the records after it keep their true line numbers. A name with a line break is not
    valid text, so that record is an error, reported at the line where it starts."""
    gh.init()
    f = tmp_path / "r.csv"
    f.write_bytes(b"\xef\xbb\xbfemployee_id,first_name,last_name,email\r\n"
                  b"E1,Ann,\"Berg,\r\nJr.\",ann@example.test\r\n"
                  b"E2,Bob,Chen,bob@@example.test\r\n"
                  b"E3,Cleo,Dietz,cleo@example.test\r\n"
                  b"E4,Dana,Eck,nope\r\n")
    p = gh("import", "people", f, rc=1)
    located = re.findall(r"^" + re.escape(str(f)) + r":(\d+):(\d+): ", p.stderr, re.M)
    assert [(int(a), int(b)) for a, b in located] == [(2, 3), (4, 4), (6, 4)]
    assert gh.people() == []


def test_quoted_newline_in_an_unused_column_is_fine(gh, tmp_path):
    gh.init()
    f = tmp_path / "r.csv"
    f.write_text('employee_id,first_name,last_name,Notes\n'
                 'E1,Ann,Berg,"line one\nline two, with a comma"\n'
                 'E2,Bob,Chen,\n')
    p = gh("import", "people", f)
    assert counts(p)["created"] == 2
    assert set(people(gh)) == {"E1", "E2"}


# ---- --dry-run ---------------------------------------------------------------------------


def test_dry_run_changes_nothing(hq, tmp_path):
    gh = hq.gh
    rows = changed(read_rows(GOOD), "E1002", status="terminated")
    rows.append(dict(employee_id="E1998", first_name="New", last_name="Person"))
    f = write_csv(tmp_path / "r.csv", rows)
    before = snapshot(gh)
    p = gh("import", "people", f, "--dry-run")
    assert p.stdout.startswith("dry run of ") and "(nothing was changed)" in p.stdout
    c = counts(p)
    assert c["rows"] == len(rows) and c["created"] == 1 and c["terminated"] == 1
    assert snapshot(gh) == before
    # a bad file in a dry run fails the same way
    p = gh("import", "people", BAD, "--dry-run", rc=1)
    assert re.search(re.escape(str(BAD)) + r":\d+:\d+: ", p.stderr)
    assert snapshot(gh) == before


# ---- dates and kinds ----------------------------------------------------------------------


def test_end_date_is_inclusive_and_enforced_at_the_door(hq, tmp_path):
    gh = hq.gh
    rows = [dict(employee_id="C1", first_name="Carl", last_name="Temp", kind="contractor",
                 start_date="2026-11-01", end_date="2026-11-23")]
    gh("import", "people", write_csv(tmp_path / "r.csv", rows))
    p = people(gh)["C1"]
    assert (p["kind"], p["from"], p["until"]) == (
        "contractor", "2026-11-01T00:00:00.000000Z", "2026-11-24T00:00:00.000000Z")
    gh("credential", "add", "--person", "C1", "--card", "h10301:40:1")
    gh("assign", "C1", "Staff")
    d = gh("decide", "--door", hq.main, "--card", "h10301:40:1", "--at", hq.weekday)
    assert d.stdout.startswith("GRANTED")
    d = gh("decide", "--door", hq.main, "--card", "h10301:40:1", "--at", "2026-11-24T10:00")
    assert d.stdout.startswith("DENIED: person_inactive")



def test_header_only_roster_imports_nothing(hq, tmp_path):
    gh = hq.gh
    f = tmp_path / "r.csv"
    f.write_text(",".join(HEADER) + "\n")
    before = gh("person", "list").stdout
    c = counts(gh("import", "people", f))
    assert c == dict(rows=0, created=0, updated=0, unchanged=0, terminated=0, revoked=0,
                     reviews=0)
    assert gh("person", "list").stdout == before
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    p = gh("import", "people", empty, rc=1)
    assert "empty" in p.stderr and "nothing was imported" in p.stderr


# ---- safety and partial feeds ---------------------------------------------------------------


def test_full_with_an_empty_roster_is_refused(hq, tmp_path):
    gh = hq.gh
    f = tmp_path / "r.csv"
    f.write_text(",".join(HEADER) + "\n")
    before = snapshot(gh)
    p = gh("import", "people", f, "--full", rc=1)
    assert "no rows" in p.stderr and "terminate everyone" in p.stderr
    assert "nothing was imported" in p.stderr
    assert snapshot(gh) == before


def test_full_that_would_terminate_too_many_is_refused_unless_allowed(hq, tmp_path):
    gh = hq.gh
    rows = read_rows(GOOD)
    keep = rows[:2]
    kept = {r["employee_id"] for r in keep}
    gone = [e for e, p in people(gh).items()
            if e not in kept and p["status"] != "terminated" and p["kind"] != "visitor"]
    f = write_csv(tmp_path / "r.csv", keep)
    before = snapshot(gh)
    p = gh("import", "people", f, "--full", rc=1)
    assert f"would terminate {len(gone)} people" in p.stderr, p.stderr
    assert f"--max-terminations {len(gone)}" in p.stderr and "nothing was imported" in p.stderr
    assert snapshot(gh) == before
    # a limit below the count is still refused; at the count it goes through
    gh("import", "people", f, "--full", "--max-terminations", str(len(gone) - 1), rc=1)
    assert snapshot(gh) == before
    p = gh("import", "people", f, "--full", "--max-terminations", str(len(gone)))
    assert f"({len(gone)} absent from the file)" in p.stdout
    assert all(people(gh)[e]["status"] == "terminated" for e in gone)


def test_columns_the_file_lacks_are_kept(hq, tmp_path):
    gh = hq.gh
    before = people(gh)["E1002"]
    rows = [dict(employee_id="E1002", first_name="Renamed", last_name=before["last"])]
    f = write_csv(tmp_path / "r.csv", rows, header=["employee_id", "first_name", "last_name"])
    c = counts(gh("import", "people", f))
    assert (c["updated"], c["reviews"]) == (1, 0)
    after = people(gh)["E1002"]
    assert after["first"] == "Renamed"
    for k in ("department", "kind", "status", "from", "until"):
        assert after[k] == before[k], k
    with db(gh) as con:
        email, title = con.execute(
            "SELECT email, title FROM people WHERE employee_id = 'E1002'").fetchone()
    assert email and title


def test_dry_run_reports_a_bad_manager_like_the_real_import(hq, tmp_path):
    gh = hq.gh
    rows = changed(read_rows(GOOD), "E1009", manager_id="X404")
    f = write_csv(tmp_path / "r.csv", rows)
    before = snapshot(gh)
    p = gh("import", "people", f, "--dry-run", rc=1)
    line = 1 + [r["employee_id"] for r in rows].index("E1009") + 1
    assert re.search(re.escape(str(f)) + rf":{line}:\d+: manager_id: ", p.stderr), p.stderr
    assert snapshot(gh) == before
