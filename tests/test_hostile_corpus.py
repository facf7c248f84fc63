"""The hostile-input corpus: malformed and malicious dictionaries, mappings and source schemas.

Every case is refused with `file:line: message`, exit code 1 and no traceback, and leaves
generated/ exactly as it was. Together with tests/test_malformed_inputs.py (the first 31
cases) the corpus covers bad YAML, unknown keys, wrong types, dangling references, cyclic
joins, unknown columns and slots, duplicate and case-colliding names, and injection attempts
in expressions and identifiers.
"""
from __future__ import annotations

import json
import shutil

import pytest
import sqlglot
from sqlglot import exp
from typer.testing import CliRunner

import test_malformed_inputs
from projects import copy_project, snapshot
from toolkit import dialects
from toolkit.cli import app
from toolkit.emit.generate import generate, generator_names

M = "mappings/chinook.yaml"
S = "mappings/chinook.source.yaml"
D = "dictionary/enterprise.yaml"
NEW = None  # the case writes a whole new file
E = "      given_name:\n        expr: TRIM(FirstName)\n"


def expr(text: str) -> str:
    """The given_name slot of chinook's Customer derived by ``text`` (a YAML scalar)."""
    return f"      given_name:\n        expr: {text}\n"


# (case id, file, old text, new text, expected message, anchor: text on the line the message must name
#  [, (file, old, new): a second edit the case needs])
CASES = [
    # ---------------------------------------------------------------- bad YAML
    ("yaml-tab-indent", M, "    populated_from: Invoice\n", "\tpopulated_from: Invoice\n",
     "a tab character where YAML allows only spaces", "\tpopulated_from: Invoice"),
    ("yaml-unclosed-quote", M, E, expr('"TRIM(FirstName)'), "invalid YAML", None),
    ("yaml-undefined-alias", M, "        value_mappings: *countries\n", "        value_mappings: *nothing\n",
     "found undefined alias 'nothing'", None),
    ("yaml-source-schema", S, "tables:\n", "tables: {\n", "invalid YAML", None),
    ("yaml-not-utf8", M, NEW, b"source: chinook\ntitle: \xff\xfe\n", "file is not valid UTF-8", None),
    ("yaml-mapping-is-a-list", M, NEW, "- source: chinook\n", "a mapping file must be a YAML mapping", None),
    ("yaml-dictionary-is-text", D, NEW, "just some text\n", "a LinkML schema must be a mapping", None),
    ("yaml-nul-in-name", S, "      CustomerId:\n", '      "Cust\\0omerId":\n        type: INTEGER\n      CustomerId:\n',
     "contains the control character U+0000", "Cust\\0omerId"),
    ("yaml-lone-surrogate-in-name", M, "  Product:\n", '  "Pro\\ud83dduct":\n    target_class: Product\n    populated_from: Track\n  Product:\n',
     "half of a UTF-16 surrogate pair without its other half", "Pro\\ud83dduct"),
    ("yaml-lone-surrogate-in-text", M, "value: USD", 'value: "US\\udc00D"', "U+DC00, half of a UTF-16 surrogate pair",
     'value: "US\\udc00D"'),
    ("yaml-line-break-in-name", M, "  Product:\n",
     '  "Pro\\nduct":\n    target_class: Product\n    populated_from: Track\n  Product:\n',
     "contains the control character U+000A", "Pro\\nduct"),
    # ---------------------------------------------------------------- unknown keys
    ("key-join", M, "        table: Employee\n", "        tabel: Employee\n", "unknown key 'tabel'", "tabel: Employee"),
    ("key-reject-rule", M, "        reason: customer has no", "        why: no mail\n        reason: customer has no",
     "unknown key 'why'", "why: no mail"),
    ("key-source-schema", S, "tables:\n", "owner: dba\ntables:\n", "unknown key 'owner' in source schema", "owner: dba"),
    ("key-table", S, "  Genre:\n", "  Genre:\n    indexes: [GenreId]\n", "unknown key 'indexes' in table 'Genre'",
     "indexes: [GenreId]"),
    ("key-column", S, "      GenreId:\n        type: INTEGER\n", "      GenreId:\n        type: INTEGER\n        nulable: false\n",
     "unknown key 'nulable' in column 'Genre.GenreId'", "nulable: false"),
    ("key-slot", D, "  birth_date:\n", "  birth_date:\n    requird: true\n", "unknown key 'requird' in slot 'birth_date'",
     "requird: true"),
    ("key-class", D, "  Household:\n", "  Household:\n    slotz: [id]\n", "unknown key 'slotz' in class 'Household'",
     "slotz: [id]"),
    ("key-enum", D, "  CustomerTier:\n", "  CustomerTier:\n    permissable_values: {diamond: {}}\n",
     "unknown key 'permissable_values' in enum 'CustomerTier'", "permissable_values"),
    ("key-permissible-value", D, "      silver:\n", "      silver:\n        descripton: typo\n",
     "unknown key 'descripton' in permissible value 'silver'", "descripton: typo"),
    # ---------------------------------------------------------------- wrong types
    ("type-required-text", D, "  birth_date:\n", "  birth_date:\n    required: \"no\"\n",
     "slot 'birth_date': required must be true or false, not 'no'", "required: \"no\""),
    ("type-identifier-text", D, "  birth_date:\n", "  birth_date:\n    identifier: \"false\"\n",
     "identifier must be true or false", "identifier: \"false\""),
    ("type-nullable-text", S, "      Name:\n        type: NVARCHAR(120)\n  Invoice:\n",
     "      Name:\n        type: NVARCHAR(120)\n        nullable: \"no\"\n  Invoice:\n",
     "nullable must be true or false", "nullable: \"no\""),
    ("type-primary-key-text", S, "  Genre:\n    primary_key:\n    - GenreId\n", "  Genre:\n    primary_key: GenreId\n",
     "primary_key of 'Genre' must be a list of column names", "primary_key: GenreId"),
    ("type-foreign-key-text", S, "  Genre:\n    primary_key:\n", "  Genre:\n    foreign_keys:\n    - GenreId\n    primary_key:\n",
     "foreign key of 'Genre' must be a mapping", "- GenreId"),
    ("type-permissible-value-text", D, "      silver:\n        description: The first loyalty level, earned by regular customers.\n"
     "        meaning: enterprise:SilverTier\n", "      silver: Silver tier\n",
     "permissible value 'silver' of enum 'CustomerTier' must be a mapping", "silver: Silver tier"),
    ("type-class-slots-text", D, "    slots:\n      - id\n      - household_name\n", "    slots: id household_name\n",
     "'slots' of class 'Household' must be a list", None),
    ("type-group-by-text", M, "    group_by:\n      - >-\n", "    group_by: >-\n", "should be array or null", "group_by: >-"),
    ("type-joins-list", M, "    joins:\n      rep:\n", "    joins:\n      - rep:\n", "should be object or null", "    joins:"),
    ("type-cardinality", M, "cardinality: to_one", "cardinality: many", "'many' is not one of to_one, to_many",
     "cardinality: many"),
    ("type-unmapped", M, "        unmapped: reject\n", "        unmapped: drop\n", "'drop' is not one of reject, default",
     "unmapped: drop"),
    ("type-slot-derivation-text", M, E, "      given_name: TRIM(FirstName)\n", "should be object",
     "given_name: TRIM(FirstName)"),
    # ---------------------------------------------------------------- dangling references
    ("dangling-join-table", M, "        table: Employee\n", "        table: Employees\n",
     "join 'rep': unknown source table 'Employees' (did you mean 'Employee'?)", "rep:"),
    ("dangling-waived-slot", M, "  Product:\n    description: Every track is a product.\n",
     "  Product:\n    description: Every track is a product.\n    waived_slots:\n      colour: not tracked\n",
     "waived slot 'colour' is not a slot of 'Product'", "colour: not tracked"),
    ("dangling-global-id-class", M, "expr: GLOBAL_ID('Customer', CustomerId)", "expr: GLOBAL_ID('Client', CustomerId)",
     "GLOBAL_ID names unknown class 'Client'", "GLOBAL_ID('Client'"),
    ("dangling-global-id-not-derived", M, E, expr("GLOBAL_ID('Account', CustomerId)"),
     "GLOBAL_ID('Account', ...) refers to a Account of source chinook, but chinook has no derivation of Account",
     "  given_name:"),
    ("dangling-global-id-wrong-class", M, "expr: GLOBAL_ID('Product', TrackId)", "expr: GLOBAL_ID('Transaction', InvoiceId)",
     "slot 'product_id' references Product, but `GLOBAL_ID('Transaction', InvoiceId)` builds an identifier of Transaction",
     "  product_id:"),
    ("dangling-global-id-arity", M, "expr: GLOBAL_ID('Product', TrackId)", "expr: GLOBAL_ID('Product', TrackId, InvoiceId)",
     "GLOBAL_ID('Product', ...) has 2 key(s), but chinook's Product identifiers are built from 1", "  product_id:"),
    ("dangling-source-schema-file", M, "steward: Sales Operations\n",
     "steward: Sales Operations\nsource_schema: chinook_v2.source.yaml\n", "source schema 'mappings/chinook_v2.source.yaml' not found",
     None),
    ("dangling-slot-usage", D, "    slot_usage:\n      customer_id:\n        required: true\n",
     "    slot_usage:\n      customer_id:\n        required: true\n      customer_tier:\n        required: true\n",
     "slot_usage of class 'ContactPoint' names 'customer_tier'", "customer_tier:\n        required: true"),
    ("dangling-range-in-slot-usage", D, "    slot_usage:\n      customer_id:\n        required: true\n",
     "    slot_usage:\n      customer_id:\n        required: true\n        range: Client\n", "unknown range 'Client'", None),
    ("dangling-primary-key-column", S, "  Genre:\n    primary_key:\n    - GenreId\n", "  Genre:\n    primary_key:\n    - GenreNo\n",
     "primary key column 'GenreNo' is not a column of 'Genre'", "primary_key:\n    - GenreNo"),
    # ---------------------------------------------------------------- cycles: joins must hang off earlier tables
    ("cycle-join-on-itself", M, '"on": rep.EmployeeId = Customer.SupportRepId', '"on": rep.EmployeeId = rep.ReportsTo',
     "join 'rep' condition `rep.EmployeeId = rep.ReportsTo` does not refer to the driving table or an earlier join", "rep:"),
    ("cycle-join-not-on-joined-table", M, '"on": rep.EmployeeId = Customer.SupportRepId', '"on": Customer.SupportRepId > 0',
     "does not refer to 'rep'", "rep:"),
    ("cycle-two-joins", M, '      genre:\n        table: Genre\n        "on": genre.GenreId = Track.GenreId\n',
     '      genre:\n        table: Genre\n        "on": genre.GenreId = alb.AlbumId\n'
     '      alb:\n        table: Album\n        "on": alb.AlbumId = genre.GenreId\n',
     "joins form a cycle: genre -> alb -> genre", "      genre:"),
    ("cycle-three-joins", M, '      genre:\n        table: Genre\n        "on": genre.GenreId = Track.GenreId\n',
     '      genre:\n        table: Genre\n        "on": genre.GenreId = media.MediaTypeId\n'
     '      alb:\n        table: Album\n        "on": alb.AlbumId = genre.GenreId\n'
     '      media:\n        table: MediaType\n        "on": media.MediaTypeId = alb.AlbumId\n',
     "joins form a cycle: genre -> media -> alb -> genre", "      genre:"),
    ("cycle-forward-join", M, '      genre:\n        table: Genre\n        "on": genre.GenreId = Track.GenreId\n',
     '      genre:\n        table: Genre\n        "on": genre.GenreId = alb.AlbumId\n'
     '      alb:\n        table: Album\n        "on": alb.AlbumId = Track.AlbumId\n',
     "join 'genre' refers to 'alb', which is joined after it (list 'alb' before 'genre')", "      genre:"),
    # ---------------------------------------------------------------- unknown columns and slots
    ("unknown-column-filter", M, "filter: Phone IS NOT NULL", "filter: Fone IS NOT NULL",
     "unknown column 'Fone' in the tables of this derivation (did you mean 'Phone'?)", "filter: Fone"),
    ("unknown-column-join", M, "rep.EmployeeId = Customer.SupportRepId", "rep.EmployeeId = Customer.SupportRep",
     "unknown column 'SupportRep' in table 'Customer'", '"on": rep.EmployeeId'),
    ("unknown-column-group-by", M, "COALESCE(PostalCode, ''))) || '|' || UPPER(TRIM(Country))\n    slot_derivations:",
     "COALESCE(Zip, ''))) || '|' || UPPER(TRIM(Country))\n    slot_derivations:", "unknown column 'Zip'", None),
    ("unknown-column-source-key", M, "  Customer:\n    populated_from: Customer\n",
     "  Customer:\n    populated_from: Customer\n    source_key: [CustId]\n", "unknown column 'CustId'",
     "source_key: [CustId]"),
    ("unknown-column-reject-when", M, "      - when: Email IS NULL OR TRIM(Email) = ''", "      - when: Mail IS NULL",
     "unknown column 'Mail'", "when: Mail IS NULL"),
    ("unknown-slot-in-dictionary-class", D, "      - member_count\n", "      - member_total\n",
     "class 'Household' lists unknown slot 'member_total'", "- member_total"),
    # ---------------------------------------------------------------- duplicate names
    ("duplicate-derivation", M, "  Product:\n", "  Transaction:\n    populated_from: Invoice\n  Product:\n",
     "duplicate key 'Transaction'", None),
    ("duplicate-class-across-files", "dictionary/extra.yaml", NEW,
     "id: https://example.org/extra\nname: extra\nclasses:\n  Household:\n    description: again\n",
     "'Household' is defined twice", "  Household:"),
    ("duplicate-source", "mappings/chinook_copy.yaml", NEW,
     "source: chinook\nsource_schema: chinook.source.yaml\nclass_derivations:\n  Product:\n    populated_from: Track\n",
     "source 'chinook' is already mapped in mappings/chinook.yaml", None),
    ("duplicate-table", S, "tables:\n", "tables:\n  Genre:\n    columns: {x: INTEGER}\n", "duplicate key 'Genre'", None),
    ("duplicate-code", M, "          Austria: AT\n", "          Austria: AT\n          Austria: DE\n", "duplicate key 'Austria'",
     "Austria: DE"),
    ("duplicate-view-name", M, "  Product:\n",
     "  Customer__staged:\n    target_class: Product\n    populated_from: Track\n    slot_derivations:\n"
     "      product_name: {populated_from: Name}\n  Product:\n",
     "derivation 'Customer__staged' creates view 'chinook__customer__staged', which is also the name of a view of "
     "derivation 'Customer'", "  Customer__staged:"),
    ("duplicate-rejects-view", D, "classes:\n", "classes:\n  Rejects:\n    description: x\n    slots: [id, product_name]\n",
     "class 'Rejects' creates view 'rejects', which is also the name of the view of all rejects",
     "    description: x\n    slots: [id, product_name]",
     (M, "class_derivations:\n", "class_derivations:\n  Rejects:\n    populated_from: Track\n    slot_derivations:\n"
         "      product_name: {populated_from: Name}\n")),
    # ---------------------------------------------------------------- case-colliding identifiers
    ("case-derivations", M, "  Product:\n",
     "  product:\n    populated_from: Track\n    target_class: Product\n    slot_derivations:\n"
     "      product_name: {populated_from: Name}\n  Product:\n", "gives the same view name", None),
    ("case-alias-and-table", M, '      rep:\n        table: Employee\n        "on": rep.EmployeeId',
     '      customer:\n        table: Employee\n        "on": customer.EmployeeId',
     "join alias 'customer' is already used in this derivation", "      customer:"),
    ("case-tables", S, "tables:\n", "tables:\n  genre:\n    columns: {x: INTEGER}\n",
     "table 'Genre' differs only in case from 'genre'", None),
    ("case-columns", S, "      GenreId:\n", "      genreid:\n        type: INTEGER\n      GenreId:\n",
     "column 'Genre.GenreId' differs only in case from 'genreid'", None),
    ("case-slots", D, "  birth_date:\n", "  Birth_Date:\n    description: x\n  birth_date:\n",
     "slot 'birth_date' differs only in case from 'Birth_Date'", None),
    ("case-enums", D, "  CustomerTier:\n", "  customertier:\n    permissible_values: {a: {}}\n  CustomerTier:\n",
     "enum 'CustomerTier' differs only in case from 'customertier'", None),
    ("case-snake-class-names", D, "classes:\n",
     "classes:\n  Product_Line:\n    description: x\n    slots: [id, product_name]\n  ProductLine:\n"
     "    description: y\n    slots: [id, product_name]\n",
     "creates view 'product_line', which is also the name of", "    description: y",
     (M, "class_derivations:\n", "class_derivations:\n  Line1:\n    target_class: Product_Line\n    populated_from: Track\n"
         "    slot_derivations:\n      product_name: {populated_from: Name}\n  Line2:\n    target_class: ProductLine\n"
         "    populated_from: Track\n    slot_derivations:\n      product_name: {populated_from: Name}\n")),
    # ---------------------------------------------------------------- names no engine can carry safely
    ("name-blank-slot", D, "  birth_date:\n", "  \"  \":\n    description: blank\n  birth_date:\n",
     "slot name '  ' is blank", '  "  ":'),
    ("name-blank-column", S, "      GenreId:\n", "      \"\":\n        type: INTEGER\n      GenreId:\n",
     "column name '' of table 'Genre' is blank", None),
    ("name-blank-derivation", M, "  Product:\n", "  \" \":\n    target_class: Product\n    populated_from: Track\n  Product:\n",
     "derivation name ' ' is blank", '  " ":'),
    ("name-dot-in-slot", D, "  birth_date:\n", "  birth.date:\n    description: dotted\n  birth_date:\n",
     "slot name 'birth.date' contains '.', which reads as a path in SQL", "birth.date:"),
    ("name-dot-in-derivation", M, "  Product:\n", "  Track.Product:\n    target_class: Product\n    populated_from: Track\n"
     "  Product:\n", "derivation name 'Track.Product' contains '.'", "Track.Product:"),
    ("name-hash-class", D, "classes:\n", "classes:\n  \"#Temp\":\n    description: x\n    slots: [id]\n",
     "class name '#Temp' starts with '#', which SQL Server reads as a temporary table", '"#Temp":'),
    ("name-boolean-slot", D, "  birth_date:\n", "  \"TRUE\":\n    description: yes\n  birth_date:\n",
     "slot name 'TRUE' is SQL's boolean literal", '"TRUE":'),
    ("name-provenance-slot", D, "  birth_date:\n", "  _source_key:\n    description: clash\n  birth_date:\n",
     "slot name '_source_key' starts with '_', which is reserved for provenance", "_source_key:"),
    ("name-c1-control", M, "value: USD", 'value: "US\\u0085D"', "contains the control character U+0085", 'value: "US\\u0085D"'),
    # ---------------------------------------------------------------- injection in expressions
    ("inject-union", M, E, expr('"FirstName UNION SELECT Email FROM Customer"'), "subqueries are not allowed", "UNION SELECT"),
    ("inject-exists", M, E, expr('"EXISTS (SELECT 1 FROM Customer)"'), "subqueries are not allowed", "EXISTS"),
    ("inject-in-subquery", M, E, expr('"FirstName IN (SELECT Name FROM Artist)"'), "IN takes a list of values, not a subquery",
     "IN (SELECT"),
    ("inject-block-comment", M, E, expr('"TRIM(FirstName) /* x */"'), "comments are not allowed", "/* x */"),
    ("inject-trailing-semicolon", M, E, expr('"TRIM(FirstName);"'), "no ';'", "TRIM(FirstName);"),
    ("inject-filter-statement", M, "filter: Phone IS NOT NULL", 'filter: "Phone IS NOT NULL; DROP TABLE Customer"',
     "exactly one expression is allowed", "DROP TABLE Customer"),
    ("inject-join-comment", M, '"on": rep.EmployeeId = Customer.SupportRepId',
     '"on": "rep.EmployeeId = Customer.SupportRepId OR 1=1 -- "', "comments are not allowed", "OR 1=1"),
    ("inject-group-by-subquery", M, "    group_by:\n      - >-\n", "    group_by:\n      - (SELECT 1)\n      - >-\n",
     "subqueries are not allowed", "- (SELECT 1)"),
    ("inject-source-key-delete", M, "  Customer:\n    populated_from: Customer\n",
     '  Customer:\n    populated_from: Customer\n    source_key: ["CustomerId; DELETE FROM Customer"]\n',
     "exactly one expression is allowed", "DELETE FROM"),
    ("inject-reject-when-ddl", M, "      - when: Email IS NULL OR TRIM(Email) = ''", '      - when: "DROP TABLE Customer"',
     "statements are not allowed", "DROP TABLE"),
    ("inject-create-table", M, E, expr("CREATE TABLE x (a INT)"), "statements are not allowed", "CREATE TABLE"),
    ("inject-update", M, E, expr("UPDATE Customer SET FirstName = 'x'"), "statements are not allowed", "UPDATE Customer"),
    ("inject-pragma", M, E, expr("PRAGMA table_info(Customer)"), "is not allowed in mapping expressions", "PRAGMA"),
    ("inject-copy-to-file", M, E, expr("\"COPY Customer TO '/tmp/x.csv'\""), "is not allowed in mapping expressions", "COPY"),
    ("inject-attach", M, E, expr("\"ATTACH 'x.db' AS x\""), "not a valid SQL expression", "ATTACH"),
    ("inject-read-file", M, E, expr("\"read_csv('/etc/passwd')\""), "is not in the whitelist", "read_csv"),
    ("inject-shell", M, E, expr("\"system('rm -rf /')\""), "unknown function system()", "system("),
    ("inject-window", M, E, expr("ROW_NUMBER() OVER (ORDER BY CustomerId)"), "window functions (OVER) are not allowed", "OVER"),
    ("inject-string-quote-break", M, E, expr("\"'a\\\\' || (SELECT 1) || '\""), "not a valid SQL expression", "(SELECT 1)"),
    ("inject-identifier-quote-break", M, E, expr("'\"FirstName\"\" || (SELECT 1) || \"\"\"'"),
     "unknown column 'FirstName\" || (SELECT 1) || \"'", "(SELECT 1)"),
    ("inject-backtick", M, E, expr('"`FirstName`; DROP TABLE x"'), "not a valid SQL expression", "DROP TABLE x"),
    ("inject-placeholder", M, E, expr('"?"'), "is not allowed in mapping expressions", "expr: \"?\""),
    ("inject-star", M, E, expr('"*"'), "is not allowed in mapping expressions", "expr: \"*\""),
    ("inject-json-path", M, E, expr("\"FirstName -> '$.x'\""), "is not in the whitelist", "->"),
    # engine-specific ways to end a literal, comment out the rest, run a statement or reach the server
    *[(f"inject-{name}", M, E, expr(json.dumps(text)), message, anchor) for name, text, message, anchor in [
        ("mysql-executable-comment", "TRIM(FirstName) /*! , (SELECT 1) */", "comments are not allowed", "/*!"),
        ("hash-comment", "TRIM(FirstName) # x", "not a valid SQL expression", "# x"),
        ("dash-comment-no-space", "FirstName--x", "comments are not allowed", "FirstName--x"),
        ("escape-string", "E'\\\\'' || FirstName", "not a valid SQL expression", "|| FirstName"),
        ("unicode-escape", 'U&"\\0041"', "is not allowed in mapping expressions", "U&"),
        ("dollar-quote", "$$x$$ || FirstName", "unknown column '$$x$$'", "$$x$$"),
        ("dollar-tag-quote", "$tag$x$tag$", "unknown column '$tag$x$tag$'", "$tag$"),
        ("positional-parameter", "$1", "unknown column '$1'", "$1"),
        ("named-parameter", ":name", "(placeholder) is not allowed", ":name"),
        ("server-variable", "@@version", "(parameter) is not allowed", "@@version"),
        ("user-variable", "@x := 1", "is not allowed in mapping expressions", "@x := 1"),
        ("hex-literal", "X'41'", "not a valid SQL expression", "X'41'"),
        ("charset-introducer", "_utf8mb4'x'", "not a valid SQL expression", "_utf8mb4"),
        ("national-literal", "N'x'", "is not allowed in mapping expressions", "N'x'"),
        ("regclass-cast", "FirstName::regclass", "CAST to regclass is not supported", "::regclass"),
        ("convert-charset", "CONVERT(FirstName USING latin1)", "is not supported", "USING latin1"),
        ("into-outfile", "FirstName INTO OUTFILE '/tmp/x'", "not a valid SQL expression", "OUTFILE"),
        ("set-variable", "SET search_path = x", "is not allowed in mapping expressions", "search_path"),
        ("quoted-then-statement", "'it''s'; DROP TABLE x", "exactly one expression is allowed", "DROP TABLE x"),
        ("sleep", "pg_sleep(10)", "unknown function pg_sleep()", "pg_sleep"),
        ("benchmark", "BENCHMARK(1000000, MD5('x'))", "unknown function BENCHMARK()", "BENCHMARK"),
        ("load-file", "LOAD_FILE('/etc/passwd')", "unknown function LOAD_FILE()", "LOAD_FILE"),
        ("server-setting", "current_setting('is_superuser')", "unknown function current_setting()", "current_setting"),
    ]],
    # ---------------------------------------------------------------- injection in identifiers
    ("inject-populated-from-column", M, "populated_from: Company", 'populated_from: "Company\\" || (SELECT 1) || \\""',
     "unknown column 'Company\" || (SELECT 1) || \"'", "(SELECT 1)"),
    ("inject-driving-table", M, "populated_from: InvoiceLine", 'populated_from: "InvoiceLine; DROP TABLE Invoice"',
     "unknown source table 'InvoiceLine; DROP TABLE Invoice'", "DROP TABLE Invoice"),
    ("inject-join-table", M, "        table: Employee\n", '        table: "Employee\\" AS e; DROP TABLE x; --"\n',
     "unknown source table 'Employee\" AS e; DROP TABLE x; --'", "      rep:"),
    ("inject-slot-name", M, E, '      "given_name\\"; DROP TABLE x; --":\n        expr: TRIM(FirstName)\n',
     "class 'Customer' has no slot 'given_name\"; DROP TABLE x; --'", "DROP TABLE x"),
    ("inject-source-name", M, "source: chinook\n", "source: \"chinook'; DROP TABLE x; --\"\n",
     "does not match ^[a-z][a-z0-9_]*$", "source: \"chinook'"),
    ("inject-nul-in-constant", M, "value: USD", 'value: "US\\0D"', "contains the control character U+0000", 'value: "US\\0D"'),
    ("inject-nul-in-database-schema", M, "steward: Sales Operations\n",
     'steward: Sales Operations\ndatabase_schema: "chinook\\u0000; DROP"\n', "contains the control character U+0000",
     "database_schema:"),
    # ---------------------------------------------------------------- identity, orphans, blank text (issue 13)
    ("id-collision-default-ids", M, "      id:\n        expr: GLOBAL_ID('ContactPoint', 'email', CustomerId)\n", "",
     "derivations 'ContactPointEmail' (mappings/chinook.yaml:87) and 'ContactPointPhone'", "  ContactPointPhone:",
     (M, "      id:\n        expr: GLOBAL_ID('ContactPoint', 'phone', CustomerId)\n", "")),
    ("id-collision-same-text-built-apart", M, "GLOBAL_ID('ContactPoint', 'phone', CustomerId)",
     "GLOBAL_ID('ContactPoint', 'e' || 'mail', CustomerId)", "can give the same id (e.g. 'chinook:ContactPoint:email|1')",
     "      id:\n'e' || 'mail'"),
    ("id-collision-text-key-meets-discriminator", M, "GLOBAL_ID('ContactPoint', 'phone', CustomerId)",
     "GLOBAL_ID('ContactPoint', Phone)", "add a discriminator to one id expression", "      id:\nGLOBAL_ID('ContactPoint', Phone)"),
    ("on-orphan-on-a-plain-slot", M, "      phone_number:\n        expr: COALESCE(PHONE_E164(Phone, Country), TRIM(Phone))\n",
     "      phone_number:\n        expr: COALESCE(PHONE_E164(Phone, Country), TRIM(Phone))\n        on_orphan: reject\n",
     "on_orphan only applies to a slot whose range is a class", "on_orphan: reject"),
    ("on-orphan-unknown-action", M, "        expr: GLOBAL_ID('Transaction', InvoiceId)\n",
     "        expr: GLOBAL_ID('Transaction', InvoiceId)\n        on_orphan: drop\n", "'drop' is not one of report, reject",
     "on_orphan: drop"),
    ("on-orphan-class-not-derived-here", M, "      transaction_type:\n",
     "      account_id:\n        expr: CAST(CustomerId AS TEXT)\n        on_orphan: reject\n      transaction_type:\n",
     "chinook has no derivation of Account with an identifier", "on_orphan: reject"),
    ("blank-constant", M, "value: USD", 'value: "   "', "is blank, and blank text is NULL", 'value: "   "'),
    ("blank-code-map-target", M, "          USA: US\n", '          USA: " "\n', "code 'USA' maps to blank text", 'USA: " "'),
]


# Names one engine cannot carry: refused when generating for that dialect only (DuckDB, the default, runs them).
# (case id, dialect, file, old text, new text, expected message, anchor, further (file, old, new) edits)
DOTTED = "reads '.' in a name as a path"
DIALECT_CASES = [
    ("name-dot-in-column-bigquery", "bigquery", S, "      Company:\n", "      Company.Name:\n", DOTTED,
     "      customer_type:", (M, "populated_from: Company", 'populated_from: "Company.Name"'),
     (M, "CASE WHEN Company IS NULL", 'CASE WHEN "Company.Name" IS NULL')),
    ("name-dot-in-join-table-bigquery", "bigquery", S, "  Genre:\n", "  music.Genre:\n", DOTTED,
     "      genre:", (M, "        table: Genre\n", "        table: music.Genre\n")),
    ("name-dot-in-driving-table-bigquery", "bigquery", S, "  Customer:\n", "  sales.Customer:\n", DOTTED, "  Customer:",
     (S, "references: Customer\n", "references: sales.Customer\n"),
     (M, "= Customer.SupportRepId", '= "sales.Customer".SupportRepId'),
     *[(M, "populated_from: Customer\n", "populated_from: sales.Customer\n")] * 5),
    ("name-dot-in-join-alias-bigquery", "bigquery", M, "      rep:\n", "      sales.rep:\n", DOTTED, "      sales.rep:",
     (M, "\"on\": rep.EmployeeId", "\"on\": '\"sales.rep\".EmployeeId"),
     (M, "= Customer.SupportRepId\n", "= Customer.SupportRepId'\n"),
     (M, "expr: rep.FirstName || ' ' || rep.LastName", "expr: '\"sales.rep\".FirstName'")),
    ("name-emoji-column-mysql", "mysql", S, "      Company:\n", "      \"Company\U0001F3E2\":\n",
     "a character outside the Basic Multilingual Plane", "      customer_type:",
     (M, "populated_from: Company", 'populated_from: "Company\U0001F3E2"'),
     (M, "CASE WHEN Company IS NULL", 'CASE WHEN "Company\U0001F3E2" IS NULL')),
]

@pytest.fixture(scope="module")
def generated_project(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("corpus"))
    generate(root, ["sql"])
    return root


@pytest.fixture()
def project(generated_project, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(generated_project, root)
    return root


def _mutate(project, rel, old, new) -> str:
    path = project / rel
    if old is NEW:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(new if isinstance(new, bytes) else new.encode("utf-8"))
        return new.decode("utf-8", "replace") if isinstance(new, bytes) else new
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"test case anchor {old!r} not found in {rel}"
    mutated = text.replace(old, new, 1)
    path.write_text(mutated, encoding="utf-8")
    return mutated


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_hostile_input_is_refused_with_file_line_and_nothing_is_written(project, case):
    _id, rel, old, new, message, anchor, *also = case
    mutated = _mutate(project, rel, old, new)
    for other in also:
        _mutate(project, *other)
    _assert_refused(project, [], rel, mutated, message, anchor)


@pytest.mark.parametrize("case", DIALECT_CASES, ids=[c[0] for c in DIALECT_CASES])
def test_a_name_one_engine_cannot_carry_is_refused_for_that_dialect_only(project, case):
    _id, dialect, rel, old, new, message, anchor, *also = case
    _mutate(project, rel, old, new)
    for other in also:
        _mutate(project, *other)
    mapping = (project / M).read_text(encoding="utf-8")
    _assert_refused(project, ["--dialect", dialect], M, mapping, message, anchor)
    out = project.parent / "duckdb-out"
    result = CliRunner().invoke(app, ["generate", "sql", "--project", str(project), "--out", str(out)])
    assert result.exit_code == 0, result.output


def _assert_refused(project, options, rel, mutated, message, anchor) -> None:
    """`dict generate sql` exits 1 with ``message`` at ``rel``:line of ``anchor`` and writes nothing."""
    before = snapshot(project / "generated")

    result = CliRunner().invoke(app, ["generate", "sql", *options, "--project", str(project)])

    output = result.output
    assert result.exit_code == 1, output
    assert isinstance(result.exception, SystemExit), f"unexpected exception: {result.exception!r}"
    assert "Traceback" not in output
    assert message in output, output
    assert f"error {rel}:" in output, output
    if anchor is not None:
        first, *rest = anchor.splitlines()
        lines = mutated.splitlines()
        line = next(i for i, text in enumerate(lines, 1)
                    if first in text and all(r in lines[i + k] for k, r in enumerate(rest)))
        assert f"error {rel}:{line}: " in output, output
    assert snapshot(project / "generated") == before
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".")) == [], "staging folder left behind"


def test_the_corpus_has_at_least_60_distinct_inputs():
    ids = [c[0] for c in CASES + DIALECT_CASES] + [c[0] for c in test_malformed_inputs.CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique across both corpus files"
    assert len(ids) >= 60
    themes = {c[0].split("-")[0] for c in CASES}
    assert {"yaml", "key", "type", "dangling", "cycle", "unknown", "duplicate", "case", "name", "inject"} <= themes


def test_a_line_break_in_a_title_cannot_smuggle_a_statement_into_the_generated_sql(project):
    _mutate(project, M, "title: Chinook music store", 'title: "Chinook\\nDROP TABLE chinook.Customer; --"')
    chosen = ",".join(dialects.names())
    result = CliRunner().invoke(app, ["generate", "sql", "--dialect", chosen, "--project", str(project)])
    assert result.exit_code == 0, result.output
    for d in dialects.names():
        text = (project / "generated" / "sql" / d / "chinook.sql").read_text(encoding="utf-8")
        assert "-- source chinook: Chinook DROP TABLE chinook.Customer; -- (mappings/chinook.yaml)" in text
        statements = [s for s in sqlglot.parse(text, read=dialects.get(d).sqlglot) if s is not None]
        preamble = [sqlglot.parse_one(p, read=dialects.get(d).sqlglot) for p in dialects.get(d).preamble]
        assert statements[:len(preamble)] == preamble, f"{d}: the file does not begin with its preamble"
        statements = statements[len(preamble):]
        created = {s.this.name for s in statements if isinstance(s, exp.Create) and s.kind == "VIEW"}
        dropped = {t.name for s in statements if isinstance(s, exp.Drop) and s.kind == "VIEW"
                   for t in (s.args.get("tables") or [s.this])}
        assert all(isinstance(s, exp.Create) and s.kind == "VIEW" or isinstance(s, exp.Drop) and s.kind == "VIEW"
                   or isinstance(s, exp.Comment) for s in statements), f"{d}: a statement other than CREATE/DROP VIEW, COMMENT"
        described = {s.this.name if s.args["kind"] == "VIEW" else s.this.table for s in statements if isinstance(s, exp.Comment)}
        assert described <= created, d   # COMMENT ON only the views the file creates
        assert dropped <= created, d   # dialects without CREATE OR REPLACE VIEW drop the view first


def test_messages_keep_line_numbers_and_brackets_intact(project):
    # rich would turn ":100:" into an emoji and "[a-z]" into a style tag
    _mutate(project, M, "populated_from: Name", "populated_from: Nme")
    result = CliRunner().invoke(app, ["validate", "--project", str(project)])
    line = next(i for i, t in enumerate((project / M).read_text().splitlines(), 1) if "populated_from: Nme" in t)
    assert line >= 100
    assert f"mappings/chinook.yaml:{line}: " in result.output


def test_a_title_cannot_inject_code_into_the_generated_translator(project, tmp_path):
    import subprocess
    import sys

    if "python" not in generator_names():
        pytest.skip("no translator generator registered")
    marker = tmp_path / "pwned"
    title = f'Chinook """ + str(__import__("pathlib").Path({str(marker)!r}).touch()) + """'
    _mutate(project, M, "title: Chinook music store", "title: " + json.dumps(title))   # JSON strings are YAML
    generate(project, ["python"])
    subprocess.run([sys.executable, "-c", "import chinook"], cwd=project / "generated" / "python",
                   capture_output=True, timeout=120)
    assert not marker.exists(), "importing the generated translator ran code from the mapping title"
