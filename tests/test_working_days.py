from app.working_days import add_working_days, due_reminder_at, overdue_at, working_days_between


def test_working_days_skip_weekends_and_bank_holidays():
    # Christmas Day (Fri), Boxing Day substitute (Mon 28 Dec) and the weekend are not working days in 2026.
    assert add_working_days("2026-12-24", 1) == "2026-12-29"
    assert add_working_days("2026-12-29", -1) == "2026-12-24"
    assert add_working_days("2027-03-01", 0) == "2027-03-01"
    assert working_days_between("2026-12-24", "2026-12-29") == 1
    assert working_days_between("2026-12-29", "2026-12-24") == -1


def test_easter_and_may_bank_holidays_2027():
    # Good Friday 26 March and Easter Monday 29 March 2027.
    assert add_working_days("2027-03-25", 1) == "2027-03-30"
    # Early May bank holiday, Monday 3 May 2027.
    assert add_working_days("2027-04-30", 1) == "2027-05-04"


def test_timer_moments_are_london_local():
    assert overdue_at("2027-07-01") == "2027-07-01T23:00:00+00:00"  # midnight BST
    assert overdue_at("2027-01-04") == "2027-01-05T00:00:00+00:00"  # midnight GMT
    assert due_reminder_at("2027-01-06", 2) == "2027-01-04T08:00:00+00:00"
