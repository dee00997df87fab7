from app.demo import notification_dates
from app.services import instances
from app.services.definitions import model_of
from app.services.sample_data import sample_for
from tests.conftest import START
from tests.sfo_case import SfoCase


def _notification_form(definition, reference):
    """The notification as a person fills it in: dates in three boxes, yes/no as radios."""
    schema = model_of(definition).start_form().schema
    data = sample_for(schema, {"other_reviews": []}, START.date())
    data.update(notification_dates(START.date()), case_reference=reference)
    data.pop("provider_org", None)
    fields = []
    for name, value in data.items():
        field = schema["properties"][name]
        if field.get("format") == "date":
            year, month, day = value.split("-")
            fields += [(f"{name}-day", day), (f"{name}-month", month), (f"{name}-year", year)]
        elif isinstance(value, bool):
            fields.append((name, "yes" if value else "no"))
        elif isinstance(value, list):
            fields += [(name, v) for v in value if not isinstance(v, dict)]
        else:
            fields.append((name, str(value)))
    return fields


def test_provider_notifies_a_case_and_lands_on_its_page(people, sfo_definition, signed_in):
    web = signed_in(people.provider)
    page = web.get("/cases/new")
    assert page.h1s == ["Notify a Serious Further Offence"]
    response = web.post("/cases/new", _notification_form(sfo_definition, "SFO-WEB-1") + [("form_action", "submit")])
    assert response.headers["Location"].endswith("/cases/SFO-WEB-1")
    page = web.get("/cases/SFO-WEB-1")
    assert "Case SFO-WEB-1" in page.h1s[0] and "has been notified" in page.text
    row = instances.get_instance_by_key(people.manager, "SFO-WEB-1")
    assert row.provider_org == people.provider.organisation and row.stage == "eligibility"


def test_a_notification_with_errors_is_not_started_and_keeps_what_was_typed(people, sfo_definition, signed_in):
    web = signed_in(people.provider)
    web.get("/cases/new")
    page = web.post(
        "/cases/new",
        [
            ("case_reference", "SFO-WEB-2"),
            ("offence_date-day", "31"),
            ("offence_date-month", "2"),
            ("offence_date-year", "2027"),
        ],
        expect=400,
    )
    assert "There is a problem" in page.text and 'value="SFO-WEB-2"' in page.html and 'value="31"' in page.html
    assert instances.list_instances(people.manager, instances.InstanceFilters())[1] == 0


def test_only_notifying_roles_see_the_form(people, sfo_definition, signed_in):
    signed_in(people.reviewer).get("/cases/new", expect=403)


def test_case_page_shows_summary_holders_answers_and_history(people, sfo_definition, signed_in):
    case = SfoCase(people, sfo_definition)
    case.do("confirm_eligibility", eligible=True, eligibility_rationale="Murder during licence period.")
    page = signed_in(people.manager).get("/cases/SFO-2027-001")
    assert "Who holds it now" in page.text and "Allocate" in page.text
    assert "Murder during licence period." in page.text
    assert "History" in page.text and "started" in page.text.lower()


def test_provider_sees_their_case_without_internal_answers(people, sfo_definition, signed_in):
    case = SfoCase(people, sfo_definition)
    case.do("confirm_eligibility", eligible=True, eligibility_rationale="Internal reasoning")
    page = signed_in(people.provider).get("/cases/SFO-2027-001")
    assert "Internal reasoning" not in page.text and "Notification" in page.text
