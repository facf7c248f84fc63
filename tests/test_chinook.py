"""The Chinook music store mapped onto the dictionary, run in DuckDB over the real database."""
from decimal import Decimal

from conftest import rows, scalar


def test_chinook_gives_59_customers_and_no_rejects(legacy):
    assert scalar(legacy, 'SELECT COUNT(*) FROM "chinook__customer"') == 59
    assert scalar(legacy, 'SELECT COUNT(*) FROM "chinook__customer__rejects"') == 0


def test_chinook_customer_ids_are_global_and_unique(legacy):
    ids = [r[0] for r in rows(legacy, 'SELECT id FROM "chinook__customer" ORDER BY _source_key::INT')]
    assert ids[0] == "chinook:Customer:1" and ids[-1] == "chinook:Customer:59"
    assert len(set(ids)) == 59


def test_chinook_customer_type_distinguishes_company_buyers(legacy):
    counts = dict(rows(legacy, 'SELECT customer_type, COUNT(*) FROM "chinook__customer" GROUP BY 1'))
    assert counts == {"person": 49, "organisation": 10}


def test_chinook_support_agent_comes_through_the_employee_join(legacy):
    agent = scalar(legacy, 'SELECT support_agent FROM "chinook__customer" WHERE id = ?', "chinook:Customer:1")
    assert agent == "Jane Peacock"


def test_chinook_gives_412_transactions(legacy):
    assert scalar(legacy, 'SELECT COUNT(*) FROM "chinook__transaction"') == 412
    assert scalar(legacy, 'SELECT COUNT(*) FROM "chinook__transaction_line"') == 2240


def test_chinook_transaction_lines_sum_to_the_invoice_totals(legacy):
    mismatches = rows(legacy, '''
        SELECT t.id, t.total_amount, SUM(l.line_amount)
        FROM "chinook__transaction" t JOIN "chinook__transaction_line" l ON l.transaction_id = t.id
        GROUP BY t.id, t.total_amount HAVING t.total_amount <> SUM(l.line_amount)''')
    assert mismatches == []
    total = scalar(legacy, 'SELECT SUM(total_amount) FROM "chinook__transaction"')
    assert total == Decimal("2328.6000")


def test_chinook_transaction_references_resolve_to_canonical_customers(legacy):
    dangling = scalar(legacy, '''SELECT COUNT(*) FROM "chinook__transaction" t
                                 LEFT JOIN "chinook__customer" c ON c.id = t.customer_id WHERE c.id IS NULL''')
    assert dangling == 0


def test_chinook_customer_without_phone_is_a_reject_with_a_reason_not_a_loss(legacy):
    reasons = rows(legacy, 'SELECT _source_key, _reject_reason FROM "chinook__contact_point_phone__rejects"')
    assert len(reasons) == 1 and reasons[0][1] == "excluded by filter: Phone IS NOT NULL"
    assert scalar(legacy, 'SELECT COUNT(*) FROM "chinook__contact_point_phone"') == 58


def test_chinook_countries_map_to_iso_codes(legacy):
    codes = {r[0] for r in rows(legacy, 'SELECT DISTINCT country_code FROM "chinook__transaction"')}
    assert {"US", "CA", "GB", "DE", "BR", "CZ"} <= codes
    assert all(len(c) == 2 and c.isupper() for c in codes)


def test_chinook_households_group_customers_by_normalised_address(legacy):
    assert scalar(legacy, 'SELECT SUM(member_count) FROM "chinook__household"') == 59
    orphans = scalar(legacy, '''SELECT COUNT(*) FROM "chinook__customer" c
                                LEFT JOIN "chinook__household" h ON h.id = c.household_id WHERE h.id IS NULL''')
    assert orphans == 0
