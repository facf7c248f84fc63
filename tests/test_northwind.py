"""Northwind Traders mapped onto the dictionary, run in DuckDB over the real database."""
from conftest import rows, scalar


def test_northwind_real_customers_come_through(legacy):
    assert scalar(legacy, 'SELECT COUNT(*) FROM "northwind__customer"') == 91
    assert scalar(legacy, 'SELECT COUNT(*) FROM "northwind__customer" WHERE customer_type <> \'organisation\'') == 0


def test_northwind_junk_customers_are_rejected_with_reason(legacy):
    rejects = rows(legacy, 'SELECT _source_key, _reject_reason FROM "northwind__customer__rejects" ORDER BY 1')
    assert rejects == [
        ("VALON", "test account with no address or country (not a real customer)"),
        ("Val2 ", "test account with no address or country (not a real customer)"),
    ]


def test_northwind_every_customer_row_is_canonical_or_rejected(legacy):
    source = scalar(legacy, 'SELECT COUNT(*) FROM "northwind"."Customers"')
    canonical = scalar(legacy, 'SELECT COUNT(*) FROM "northwind__customer"')
    rejected = scalar(legacy, 'SELECT COUNT(*) FROM "northwind__customer__rejects"')
    assert source == canonical + rejected == 93


def test_northwind_orders_become_830_transactions_with_totals_from_order_details(legacy):
    assert scalar(legacy, 'SELECT COUNT(*) FROM "northwind__transaction"') == 830
    # the grouped derivation reads the table whose name has a space and a reserved word
    expected = scalar(legacy, '''SELECT ROUND(SUM(UnitPrice * Quantity * (1 - Discount)), 2)
                                 FROM "northwind"."Order Details" WHERE OrderID = 10248''')
    got = scalar(legacy, 'SELECT total_amount FROM "northwind__transaction" WHERE id = ?', "northwind:Transaction:10248")
    assert float(got) == float(expected) == 440.0


def test_northwind_order_lines_all_come_through_and_match_their_orders(legacy):
    assert scalar(legacy, 'SELECT COUNT(*) FROM "northwind__transaction_line"') == 2155
    off = rows(legacy, '''
        SELECT t.id FROM "northwind__transaction" t JOIN "northwind__transaction_line" l ON l.transaction_id = t.id
        GROUP BY t.id, t.total_amount HAVING ABS(t.total_amount - SUM(l.line_amount)) > 0.01 * COUNT(*)''')
    assert off == []


def test_northwind_discontinued_products_are_inactive(legacy):
    assert dict(rows(legacy, 'SELECT is_active, COUNT(*) FROM "northwind__product" GROUP BY 1')) == {True: 69, False: 8}


def test_integrated_customer_view_holds_exactly_the_sum_of_the_sources(legacy):
    per_source = dict(rows(legacy, 'SELECT _source_system, COUNT(*) FROM "customer" GROUP BY 1'))
    assert per_source == {"chinook": 59, "northwind": 91}
    assert scalar(legacy, 'SELECT COUNT(DISTINCT id) FROM "customer"') == 150


def test_integrated_rejects_view_lists_every_reject_with_provenance(legacy):
    by_source = dict(rows(legacy, 'SELECT _source_system, COUNT(*) FROM "rejects" GROUP BY 1'))
    # northwind: 32 as before + the 2 junk customers' contact persons + 21 orders not shipped yet (no 'shipped' step)
    assert by_source == {"chinook": 1, "northwind": 55}
