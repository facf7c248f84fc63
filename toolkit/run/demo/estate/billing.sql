-- ============================================================================
--  billing.sql  --  FICTIONAL legacy system "FactoNet Billing" (telecom/retail)
-- ============================================================================
--  Demo estate for the dict toolkit. All people, addresses, e-mail addresses
--  and phone numbers are invented. Portable SQL: runs unchanged on DuckDB,
--  SQLite, PostgreSQL and MariaDB. UTF-8.
--
--  WHAT CUSTOMER MEANS HERE
--    The billing ACCOUNT (billing_accounts) is really a HOUSEHOLD: one postal
--    billing address, one currency, one bill, shared by one or more people.
--    The PEOPLE are the account_holders of that account. A person who moves
--    or re-subscribes gets a NEW account and a NEW holder row, so the same
--    person can exist twice. account_holders.holder_name is ONE free-text
--    string, sometimes "LAST, First" (comma = family name first), sometimes
--    "First Last". Chinese holders are stored as one Han-character string
--    with family name first and no separator (e.g. Wang Wei in Han).
--
--  TABLES
--    catalogue        (sku PK)                       - products and services
--    billing_accounts (acct_ref PK, e.g. B-000101)   - households
--    account_holders  (holder_id PK, acct_ref FK)    - people on an account
--    invoices         (invoice_no PK, acct_ref FK, holder_id FK nullable)
--    invoice_items    (PK invoice_no + line_no, invoice_no FK, sku FK)
--
--  CODES
--    billing_accounts.status    A = active, S = suspended (dunning),
--                               C = closed. Anything else (Z) is NOT valid.
--    billing_accounts.bill_country  ISO 3166-1 alpha-2, but see DQ list.
--    billing_accounts.currency  ISO 4217 (EUR, USD, GBP, CAD, CNY). RMB on
--                               one account is a non-ISO alias of CNY.
--    invoices.invoice_type      INV = invoice (amount > 0)
--                               CRN = credit note / refund (amount < 0, its
--                                     lines carry NEGATIVE qty)
--                               PAY = payment received (amount < 0, no lines)
--                               Anything else (ADJ) is NOT a valid code.
--    invoices.amount            SIGNED, from the customer balance point of
--                               view: the account balance is SUM(amount).
--    invoices.currency          ISO 4217 currency of the document and of its
--                               lines unit_price.
--    invoice_items.discount_pct percentage 0..100 (100 = free of charge).
--    catalogue.list_price       reference price in EUR (unit prices on
--                               invoices are in the invoice currency).
--    catalogue.active_flag      Y = sellable, N = discontinued.
--
--  AMOUNT RULE
--    For every INV and CRN the header amount equals
--        ROUND(SUM(qty * unit_price * (1 - discount_pct / 100)), 2)
--    over its invoice_items, EXCEPT the deliberate breaks listed below. No
--    line and no total is ever an exact half cent, so half-up and half-even
--    rounding agree, and rounding per line or per invoice gives the same
--    total. PAY documents have no lines.
--
--  DELIBERATE DATA-QUALITY PROBLEMS (for mapping tests)
--    billing_accounts B-000106  same person as B-000105, bill_country in lower case
--    billing_accounts B-000113  bill_country UK is not ISO 3166 (GB)
--    billing_accounts B-000116  currency RMB is a non-ISO alias of CNY
--    billing_accounts B-000117  bill_country NULL
--    billing_accounts B-000118  bill_country empty string, unknown status Z
--    billing_accounts B-999999  JUNK: test account - must be rejected with all its holders and invoices
--    account_holders 5010  same person as 5009 (re-subscribed on a new account)
--    account_holders 5012  e-mail with leading space
--    account_holders 5013  e-mail NULL, phone without area code
--    account_holders 5020  malformed e-mail (no @)
--    account_holders 5024  e-mail NULL
--    account_holders 5025  placeholder date_of_birth 1900-01-01
--    account_holders 5027  date_of_birth NULL
--    account_holders 5032  name padded with spaces, e-mail in upper case
--    account_holders 5033  JUNK: test holder
--    catalogue HW-RTR-N  category hardware in lower case with trailing space
--    invoices 700014  header amount is 10.00 MORE than the sum of its lines (un-itemised surcharge)
--    invoices 700018  invoice header WITHOUT any lines (amount cannot be reconciled)
--    invoices 700029  header amount is 0.01 LESS than the sum of its lines (legacy truncation)
--    invoices 700033  holder_id 5009 belongs to the closed account B-000105, not to B-000106
--    invoices 700073  unknown invoice_type ADJ (manual goodwill adjustment), no lines
--    invoices 700074  JUNK: invoice of the test account B-999999
-- ============================================================================

CREATE TABLE catalogue (
    sku         VARCHAR(12) PRIMARY KEY,
    description VARCHAR(100) NOT NULL,
    category    VARCHAR(30),
    list_price  DECIMAL(10,2),
    active_flag VARCHAR(1)
);

CREATE TABLE billing_accounts (
    acct_ref      VARCHAR(10) PRIMARY KEY,
    account_name  VARCHAR(100),
    bill_street   VARCHAR(100),
    bill_city     VARCHAR(60),
    bill_postcode VARCHAR(12),
    bill_country  VARCHAR(2),
    status        VARCHAR(1),
    opened        DATE,
    currency      VARCHAR(3)
);

CREATE TABLE account_holders (
    holder_id     INTEGER PRIMARY KEY,
    acct_ref      VARCHAR(10) NOT NULL REFERENCES billing_accounts (acct_ref),
    holder_name   VARCHAR(100),
    date_of_birth DATE,
    email         VARCHAR(120),
    phone         VARCHAR(30)
);

CREATE TABLE invoices (
    invoice_no   INTEGER PRIMARY KEY,
    acct_ref     VARCHAR(10) NOT NULL REFERENCES billing_accounts (acct_ref),
    holder_id    INTEGER REFERENCES account_holders (holder_id),
    invoice_date DATE NOT NULL,
    invoice_type VARCHAR(3) NOT NULL,
    amount       DECIMAL(12,2) NOT NULL,
    currency     VARCHAR(3)
);

CREATE TABLE invoice_items (
    invoice_no   INTEGER NOT NULL REFERENCES invoices (invoice_no),
    line_no      INTEGER NOT NULL,
    sku          VARCHAR(12) NOT NULL REFERENCES catalogue (sku),
    qty          INTEGER NOT NULL,
    unit_price   DECIMAL(10,2) NOT NULL,
    discount_pct DECIMAL(5,2) NOT NULL,
    PRIMARY KEY (invoice_no, line_no)
);

INSERT INTO catalogue (sku, description, category, list_price, active_flag) VALUES
  ('BB-FIB-100', 'Fibre 100 Mbps - monthly', 'Broadband', 29.99, 'Y'),
  ('BB-FIB-500', 'Fibre 500 Mbps - monthly', 'Broadband', 39.99, 'Y'),
  ('BB-FIB-1G', 'Fibre 1 Gbps - monthly', 'Broadband', 49.99, 'Y'),
  ('BB-ADSL-20', 'ADSL 20 Mbps - monthly (legacy)', 'Broadband', 19.99, 'N'),
  ('MB-SIM-10', 'Mobile SIM 10 GB - monthly', 'Mobile', 9.99, 'Y'),
  ('MB-SIM-UNL', 'Mobile SIM unlimited - monthly', 'Mobile', 24.99, 'Y'),
  ('TV-BASIC', 'TV Basic package - monthly', 'TV', 14.99, 'Y'),
  ('TV-SPORTS', 'TV Sports add-on - monthly', 'TV', 12.50, 'Y'),
  ('HW-RTR-AX', 'Wi-Fi 6 router', 'Hardware', 129.00, 'Y'),
  -- DQ: category in lower case with trailing space
  ('HW-RTR-N', 'Wi-Fi N router (discontinued)', 'hardware ', 59.00, 'N'),
  ('HW-MESH-3', 'Mesh Wi-Fi kit (3 pack)', 'Hardware', 249.00, 'Y'),
  ('HW-PHN-A15', 'Smartphone A15 128 GB', 'Hardware', 399.00, 'Y'),
  ('AC-CBL-ETH', 'Ethernet cable 5 m', 'Accessories', 7.50, 'Y'),
  ('AC-CHG-USB', 'USB-C charger 30 W', 'Accessories', 19.90, 'Y'),
  ('SV-INSTALL', 'Home installation visit', 'Services', 79.00, 'Y'),
  ('SV-LATEFEE', 'Late payment fee', 'Services', 5.00, 'Y');

INSERT INTO billing_accounts (acct_ref, account_name, bill_street, bill_city, bill_postcode, bill_country, status, opened, currency) VALUES
  ('B-000101', 'The Dupont Family', '12 Rue de Rivoli', 'Paris', '75004', 'FR', 'A', '2016-03-20', 'EUR'),
  ('B-000102', 'Mr & Mrs Smith', '400 Pine Street', 'Seattle', '98101', 'US', 'A', '2016-07-10', 'USD'),
  ('B-000103', 'Mme Hélène Lefèvre', '5 place Bellecour', 'Lyon', '69002', 'FR', 'A', '2018-06-05', 'EUR'),
  -- household of two people who are separate contacts elsewhere
  ('B-000104', 'Côté / Bélanger', '455 boul. Saint-Laurent', 'Montréal', 'H2Y 2Y7', 'CA', 'A', '2021-02-01', 'CAD'),
  -- closed account of Luc Martin (he re-subscribed as B-000106)
  ('B-000105', 'MARTIN, Luc', '8 Quai du Port', 'Marseille', '13002', 'FR', 'C', '2017-12-01', 'EUR'),
  -- DQ: same person as B-000105, bill_country in lower case
  ('B-000106', 'Luc Martin', '40 La Canebière', 'Marseille', '13001', 'fr', 'A', '2023-05-15', 'EUR'),
  ('B-000107', 'Famille Bernard', '22 Cours de l''Intendance', 'Bordeaux', '33000', 'FR', 'S', '2015-06-01', 'EUR'),
  ('B-000108', 'Johnson Household', '77 Beacon St', 'Boston', '02108', 'US', 'A', '2018-03-01', 'USD'),
  ('B-000109', 'M. Brown', '233 S Wacker Dr', 'Chicago', '60606', 'US', 'S', '2020-04-20', 'USD'),
  ('B-000110', 'The Garcia Family', '350 10th Ave', 'San Diego', '92101', 'US', 'A', '2022-12-15', 'USD'),
  ('B-000111', 'Davis', '600 Congress Ave', 'Austin', '78701', 'US', 'C', '2019-10-05', 'USD'),
  ('B-000112', 'Taylor Household', '10 Baker Street', 'London', 'NW1 6XE', 'GB', 'A', '2017-01-12', 'GBP'),
  -- DQ: bill_country UK is not ISO 3166 (GB)
  ('B-000113', 'Evans, H & P', '5 Park Row', 'Bristol', 'BS1 5LJ', 'UK', 'A', '2023-07-20', 'GBP'),
  ('B-000114', 'Familie Müller', 'Unter den Linden 7', 'Berlin', '10117', 'DE', 'A', '2018-09-15', 'EUR'),
  ('B-000115', '王伟', '建国门外大街1号', '北京', '100004', 'CN', 'A', '2019-12-05', 'CNY'),
  -- DQ: currency RMB is a non-ISO alias of CNY
  ('B-000116', '李娜', '南京东路100号', '上海', '200001', 'CN', 'A', '2020-03-01', 'RMB'),
  -- DQ: bill_country NULL
  ('B-000117', '张敏', '深南大道6008号', '深圳', '518000', NULL, 'A', '2021-05-10', 'CNY'),
  -- DQ: bill_country empty string, unknown status Z
  ('B-000118', 'The Clarke Family', '1 Piccadilly', 'Manchester', 'M1 1RG', '', 'Z', '2020-10-10', 'GBP'),
  ('B-000119', 'Patel Household', '221 Brick Lane', 'London', 'E1 6SB', 'GB', 'A', '2022-05-12', 'GBP'),
  ('B-000120', 'Rossi Sofia', 'Via Dante 12', 'Milano', '20121', 'IT', 'A', '2023-02-01', 'EUR'),
  ('B-000121', 'Familie Schröder', 'Jungfernstieg 1', 'Hamburg', '20354', 'DE', 'C', '2019-04-10', 'EUR'),
  ('B-000122', 'Wilson Household', '1120 NW Couch St', 'Portland', '97209', 'US', 'A', '2021-06-25', 'USD'),
  ('B-000123', 'Fernández García', 'Calle de Alcalá 50', 'Madrid', '28014', 'ES', 'A', '2024-02-20', 'EUR'),
  ('B-000124', 'Mr D. Miller', '1600 Glenarm Pl', 'Denver', '80202', 'US', 'A', '2023-03-10', 'USD'),
  -- JUNK: test account - must be rejected with all its holders and invoices
  ('B-999999', 'TEST ACCOUNT - DO NOT USE', '1 Test Street', 'Testville', '00000', 'XX', 'A', '2024-01-01', 'EUR');

INSERT INTO account_holders (holder_id, acct_ref, holder_name, date_of_birth, email, phone) VALUES
  -- holder_name as LAST, First
  (5001, 'B-000101', 'DUPONT, Marie', '1978-04-12', 'marie.dupont@example.fr', '+33142685300'),
  (5002, 'B-000101', 'Jean Dupont', '1975-09-30', 'Jean.Dupont@example.fr', '01 42 68 53 00'),
  -- minor without contact details (e-mail and phone NULL)
  (5003, 'B-000101', 'Lucas Dupont', '2005-02-14', NULL, NULL),
  (5004, 'B-000102', 'SMITH, John', '1970-01-15', 'john.smith@example.com', '206-555-0100'),
  (5005, 'B-000102', 'Sarah Smith', '1972-06-08', 'sarah.smith@example.com', '(206) 555-0100'),
  (5006, 'B-000103', 'LEFÈVRE, Hélène', '1983-11-03', 'helene.lefevre@example.fr', '+33 4 72 10 30 30'),
  (5007, 'B-000104', 'Côté, François', '1988-03-21', 'francois.cote@example.ca', '514-555-0142'),
  (5008, 'B-000104', 'Zoë Bélanger', '1990-07-07', 'zoe.belanger@example.ca', '(514) 555-0187'),
  (5009, 'B-000105', 'MARTIN, Luc', '1965-12-24', 'luc.martin@example.fr', '04 91 55 11 11'),
  -- DQ: same person as 5009 (re-subscribed on a new account)
  (5010, 'B-000106', 'Luc Martin', '1965-12-24', 'luc.martin@example.fr', '+33 4 91 55 11 11'),
  (5011, 'B-000107', 'BERNARD, Camille', '1980-10-10', 'c.bernard@bernard-conseil.example.fr', '05 56 00 66 00'),
  -- DQ: e-mail with leading space
  (5012, 'B-000108', 'Emily Johnson', '1985-05-05', ' emily.johnson@example.com', '617.555.0123'),
  -- DQ: e-mail NULL, phone without area code
  (5013, 'B-000109', 'BROWN, Michael', '1979-08-19', NULL, '555.0199'),
  (5014, 'B-000110', 'Robert Garcia', '1968-02-02', 'robert.garcia@example.com', '619-555-0148'),
  (5015, 'B-000110', 'GARCIA, Maria', '1969-04-04', 'maria.garcia@example.com', '619-555-0148'),
  (5016, 'B-000111', 'Jessica Davis', '1987-12-12', 'jessica@davis-analytics.example.com', '+1 512 555 0160'),
  (5017, 'B-000112', 'TAYLOR, Oliver', '1982-01-01', 'oliver.taylor@example.co.uk', '0044 20 7946 0958'),
  (5018, 'B-000112', 'Grace Taylor', '1984-03-03', 'grace.taylor@example.co.uk', '020 7946 0959'),
  (5019, 'B-000113', 'Harry Evans', '1991-09-09', 'harry.evans@example.co.uk', '0117 496 0555'),
  -- DQ: malformed e-mail (no @)
  (5020, 'B-000113', 'EVANS, Poppy', '1993-10-10', 'poppy.evans.example.co.uk', '07700 900789'),
  (5021, 'B-000114', 'MÜLLER, Lukas', '1976-06-16', 'lukas.mueller@example.de', '+49 30 901820'),
  -- Chinese name, family name first, no separator
  (5022, 'B-000115', '王伟', '1980-05-20', 'wang.wei@example.cn', '+86 10 6552 9988'),
  (5023, 'B-000116', '李娜', '1986-02-26', 'li.na@example.cn', '13912345678'),
  -- DQ: e-mail NULL
  (5024, 'B-000117', '张敏', '1992-08-08', NULL, '+86 755 8888 1234'),
  -- DQ: placeholder date_of_birth 1900-01-01
  (5025, 'B-000118', 'Amelia Clarke', '1900-01-01', 'amelia.clarke@example.co.uk', '0161 496 0321'),
  (5026, 'B-000119', 'PATEL, Priya', '1989-04-01', 'priya.patel@example.co.uk', '+44 7700 900456'),
  -- DQ: date_of_birth NULL
  (5027, 'B-000120', 'Sofia Rossi', NULL, 'sofia.rossi@example.it', '+39 02 8845 6789'),
  (5028, 'B-000121', 'SCHRÖDER, Anna', '1974-07-14', 'anna.schroeder@schroeder-partner.example.de', '040 428280'),
  (5029, 'B-000122', 'Ashley Wilson', '1995-11-11', 'ashley.wilson@example.com', '503.555.0134'),
  (5030, 'B-000123', 'FERNÁNDEZ, Carlos', '1971-03-19', 'carlos.fernandez@example.es', '+34 911 234 567'),
  (5031, 'B-000123', 'Lucía García', '1973-05-05', 'lucia.garcia@example.es', NULL),
  -- DQ: name padded with spaces, e-mail in upper case
  (5032, 'B-000124', '  David Miller ', '1981-02-28', 'DAVID.MILLER@EXAMPLE.COM', '303-555-0175'),
  -- JUNK: test holder
  (5033, 'B-999999', 'TEST, Test', '2000-01-01', 'test@test.test', '0000000000');

INSERT INTO invoices (invoice_no, acct_ref, holder_id, invoice_date, invoice_type, amount, currency) VALUES
  (700001, 'B-000105', 5009, '2022-11-27', 'INV', 67.19, 'EUR'),
  (700002, 'B-000105', 5009, '2022-12-07', 'PAY', -67.19, 'EUR'),
  (700003, 'B-000111', NULL, '2023-01-08', 'INV', 696.51, 'USD'),
  (700004, 'B-000105', 5009, '2023-04-13', 'INV', 19.99, 'EUR'),
  (700005, 'B-000105', 5009, '2023-05-06', 'PAY', -19.99, 'EUR'),
  (700006, 'B-000121', NULL, '2023-05-08', 'INV', 131.49, 'EUR'),
  (700007, 'B-000121', NULL, '2023-05-15', 'PAY', -131.49, 'EUR'),
  (700008, 'B-000102', 5004, '2023-06-04', 'INV', 43.99, 'USD'),
  (700009, 'B-000117', 5024, '2023-06-05', 'INV', 233.92, 'CNY'),
  (700010, 'B-000119', 5026, '2023-06-24', 'INV', 64.33, 'GBP'),
  (700011, 'B-000101', 5002, '2023-06-30', 'INV', 47.49, 'EUR'),
  (700012, 'B-000102', NULL, '2023-07-04', 'PAY', -43.99, 'USD'),
  (700013, 'B-000101', NULL, '2023-07-17', 'PAY', -47.49, 'EUR'),
  -- DQ: header amount is 10.00 MORE than the sum of its lines (un-itemised surcharge)
  (700014, 'B-000112', 5018, '2023-07-26', 'INV', 93.15, 'GBP'),
  (700015, 'B-000122', 5029, '2023-08-09', 'INV', 82.48, 'USD'),
  (700016, 'B-000122', 5029, '2023-08-22', 'PAY', -82.48, 'USD'),
  (700017, 'B-000119', 5026, '2023-08-27', 'INV', 42.99, 'GBP'),
  -- DQ: invoice header WITHOUT any lines (amount cannot be reconciled)
  (700018, 'B-000103', 5006, '2023-09-03', 'INV', 172.34, 'EUR'),
  (700019, 'B-000118', 5025, '2023-09-03', 'INV', 25.79, 'GBP'),
  (700020, 'B-000103', NULL, '2023-09-15', 'PAY', -172.34, 'EUR'),
  (700021, 'B-000114', 5021, '2023-09-15', 'INV', 418.54, 'EUR'),
  (700022, 'B-000119', NULL, '2023-09-18', 'PAY', -42.99, 'GBP'),
  (700023, 'B-000104', 5007, '2023-09-21', 'INV', 89.51, 'CAD'),
  (700024, 'B-000108', 5012, '2023-09-25', 'INV', 436.28, 'USD'),
  (700025, 'B-000118', NULL, '2023-09-25', 'PAY', -25.79, 'GBP'),
  (700026, 'B-000114', 5021, '2023-10-03', 'CRN', -406.04, 'EUR'),
  (700027, 'B-000114', NULL, '2023-10-06', 'PAY', -418.54, 'EUR'),
  (700028, 'B-000122', 5029, '2023-10-11', 'INV', 495.61, 'USD'),
  -- DQ: header amount is 0.01 LESS than the sum of its lines (legacy truncation)
  (700029, 'B-000102', 5004, '2023-10-14', 'INV', 498.25, 'USD'),
  (700030, 'B-000102', 5004, '2023-10-20', 'CRN', -323.39, 'USD'),
  (700031, 'B-000108', NULL, '2023-10-22', 'PAY', -436.28, 'USD'),
  (700032, 'B-000101', 5001, '2023-11-15', 'INV', 404.15, 'EUR'),
  -- DQ: holder_id 5009 belongs to the closed account B-000105, not to B-000106
  (700033, 'B-000106', 5009, '2023-11-23', 'INV', 49.99, 'EUR'),
  (700034, 'B-000101', 5001, '2023-11-25', 'CRN', -349.19, 'EUR'),
  (700035, 'B-000109', 5013, '2023-11-28', 'INV', 271.90, 'USD'),
  (700036, 'B-000101', NULL, '2023-12-04', 'PAY', -404.15, 'EUR'),
  (700037, 'B-000107', NULL, '2024-01-08', 'INV', 54.98, 'EUR'),
  (700038, 'B-000110', NULL, '2024-01-08', 'INV', 37.39, 'USD'),
  (700039, 'B-000109', NULL, '2024-01-10', 'INV', 100.93, 'USD'),
  (700040, 'B-000104', 5007, '2024-01-14', 'INV', 620.18, 'CAD'),
  (700041, 'B-000110', NULL, '2024-01-15', 'PAY', -37.39, 'USD'),
  (700042, 'B-000115', 5022, '2024-01-29', 'INV', 389.92, 'CNY'),
  (700043, 'B-000104', 5007, '2024-02-05', 'PAY', -620.18, 'CAD'),
  (700044, 'B-000110', 5014, '2024-02-11', 'INV', 43.99, 'USD'),
  (700045, 'B-000108', 5012, '2024-02-22', 'INV', 144.91, 'USD'),
  (700046, 'B-000115', NULL, '2024-02-25', 'PAY', -389.92, 'CNY'),
  (700047, 'B-000106', 5010, '2024-03-05', 'INV', 178.99, 'EUR'),
  (700048, 'B-000107', 5011, '2024-03-06', 'INV', 448.68, 'EUR'),
  (700049, 'B-000107', 5011, '2024-03-30', 'CRN', -399.00, 'EUR'),
  (700050, 'B-000106', 5010, '2024-04-03', 'PAY', -178.99, 'EUR'),
  (700051, 'B-000113', 5019, '2024-05-20', 'INV', 20.63, 'GBP'),
  (700052, 'B-000114', 5021, '2024-05-30', 'INV', 59.97, 'EUR'),
  (700053, 'B-000113', NULL, '2024-05-31', 'PAY', -20.63, 'GBP'),
  (700054, 'B-000101', 5002, '2024-06-17', 'INV', 37.99, 'EUR'),
  (700055, 'B-000102', 5004, '2024-06-26', 'INV', 60.48, 'USD'),
  (700056, 'B-000103', 5006, '2024-07-12', 'INV', 34.99, 'EUR'),
  (700057, 'B-000113', 5019, '2024-07-17', 'INV', 21.92, 'GBP'),
  (700058, 'B-000102', NULL, '2024-07-19', 'PAY', -60.48, 'USD'),
  (700059, 'B-000103', NULL, '2024-07-22', 'PAY', -34.99, 'EUR'),
  (700060, 'B-000124', NULL, '2024-07-22', 'INV', 189.01, 'USD'),
  (700061, 'B-000120', 5027, '2024-07-30', 'INV', 454.48, 'EUR'),
  (700062, 'B-000112', NULL, '2024-08-01', 'INV', 189.03, 'GBP'),
  (700063, 'B-000112', NULL, '2024-08-12', 'PAY', -189.03, 'GBP'),
  (700064, 'B-000112', NULL, '2024-08-16', 'CRN', -110.94, 'GBP'),
  (700065, 'B-000120', 5027, '2024-08-24', 'PAY', -454.48, 'EUR'),
  (700066, 'B-000116', 5023, '2024-08-30', 'INV', 272.93, 'CNY'),
  (700067, 'B-000116', 5023, '2024-09-03', 'INV', 525.64, 'CNY'),
  (700068, 'B-000116', NULL, '2024-09-25', 'PAY', -525.64, 'CNY'),
  (700069, 'B-000115', 5022, '2024-10-21', 'INV', 1980.88, 'CNY'),
  (700070, 'B-000115', NULL, '2024-10-29', 'PAY', -1980.88, 'CNY'),
  (700071, 'B-000123', NULL, '2024-11-03', 'INV', 274.49, 'EUR'),
  (700072, 'B-000123', NULL, '2024-12-03', 'PAY', -274.49, 'EUR'),
  -- DQ: unknown invoice_type ADJ (manual goodwill adjustment), no lines
  (700073, 'B-000101', 5001, '2024-11-28', 'ADJ', -15.00, 'EUR'),
  -- JUNK: invoice of the test account B-999999
  (700074, 'B-999999', 5033, '2024-01-01', 'INV', 1.00, 'EUR');

INSERT INTO invoice_items (invoice_no, line_no, sku, qty, unit_price, discount_pct) VALUES
  (700001, 1, 'BB-ADSL-20', 1, 19.99, 0.00),
  (700001, 2, 'HW-RTR-N', 1, 59.00, 20.00),
  (700003, 1, 'BB-FIB-1G', 1, 54.99, 0.00),
  (700003, 2, 'HW-MESH-3', 1, 273.90, 10.00),
  (700003, 3, 'HW-PHN-A15', 1, 438.90, 10.00),
  (700004, 1, 'BB-ADSL-20', 1, 19.99, 0.00),
  (700006, 1, 'BB-FIB-500', 1, 39.99, 0.00),
  (700006, 2, 'SV-INSTALL', 1, 79.00, 0.00),
  (700006, 3, 'TV-SPORTS', 1, 12.50, 0.00),
  (700008, 1, 'BB-FIB-500', 1, 43.99, 0.00),
  (700009, 1, 'BB-FIB-100', 1, 233.92, 0.00),
  (700010, 1, 'BB-FIB-500', 1, 34.39, 0.00),
  (700010, 2, 'SV-INSTALL', 1, 67.94, 100.00),
  (700010, 3, 'AC-CHG-USB', 2, 17.11, 12.50),
  (700011, 1, 'BB-FIB-1G', 1, 49.99, 5.00),
  (700014, 1, 'BB-FIB-500', 1, 34.39, 0.00),
  (700014, 2, 'AC-CHG-USB', 3, 17.11, 5.00),
  (700015, 1, 'BB-FIB-1G', 1, 54.99, 0.00),
  (700015, 2, 'MB-SIM-UNL', 1, 27.49, 0.00),
  (700017, 1, 'BB-FIB-1G', 1, 42.99, 0.00),
  (700017, 2, 'SV-INSTALL', 1, 67.94, 100.00),
  (700019, 1, 'BB-FIB-100', 1, 25.79, 0.00),
  (700021, 1, 'BB-FIB-100', 1, 29.99, 10.00),
  (700021, 2, 'TV-SPORTS', 1, 12.50, 0.00),
  (700021, 3, 'HW-PHN-A15', 1, 399.00, 5.00),
  (700023, 1, 'BB-FIB-100', 1, 44.39, 10.00),
  (700023, 2, 'MB-SIM-10', 1, 14.79, 15.00),
  (700023, 3, 'MB-SIM-UNL', 1, 36.99, 0.00),
  (700024, 1, 'BB-FIB-1G', 1, 54.99, 20.00),
  (700024, 2, 'HW-PHN-A15', 1, 438.90, 12.50),
  (700024, 3, 'AC-CBL-ETH', 1, 8.25, 0.00),
  (700026, 1, 'HW-PHN-A15', -1, 399.00, 5.00),
  (700026, 2, 'BB-FIB-100', -1, 29.99, 10.00),
  (700028, 1, 'BB-FIB-1G', 1, 54.99, 10.00),
  (700028, 2, 'HW-PHN-A15', 1, 438.90, 0.00),
  (700028, 3, 'SV-INSTALL', 1, 86.90, 100.00),
  (700028, 4, 'AC-CBL-ETH', 1, 8.25, 12.50),
  (700029, 1, 'BB-FIB-1G', 1, 54.99, 10.00),
  (700029, 2, 'HW-MESH-3', 1, 273.90, 0.00),
  (700029, 3, 'HW-RTR-AX', 1, 141.90, 0.00),
  (700029, 4, 'MB-SIM-10', 3, 10.99, 0.00),
  (700030, 1, 'HW-MESH-3', -1, 273.90, 0.00),
  (700030, 2, 'BB-FIB-1G', -1, 54.99, 10.00),
  (700032, 1, 'BB-FIB-100', 1, 29.99, 0.00),
  (700032, 2, 'MB-SIM-UNL', 1, 24.99, 0.00),
  (700032, 3, 'HW-PHN-A15', 1, 399.00, 20.00),
  (700032, 4, 'MB-SIM-10', 3, 9.99, 0.00),
  (700033, 1, 'BB-FIB-1G', 1, 49.99, 0.00),
  (700034, 1, 'HW-PHN-A15', -1, 399.00, 20.00),
  (700034, 2, 'BB-FIB-100', -1, 29.99, 0.00),
  (700035, 1, 'BB-FIB-500', 1, 43.99, 0.00),
  (700035, 2, 'MB-SIM-10', 1, 10.99, 20.00),
  (700035, 3, 'HW-MESH-3', 1, 273.90, 20.00),
  (700037, 1, 'BB-FIB-1G', 1, 49.99, 20.00),
  (700037, 2, 'TV-BASIC', 1, 14.99, 0.00),
  (700038, 1, 'BB-FIB-500', 1, 43.99, 15.00),
  (700039, 1, 'BB-FIB-1G', 1, 54.99, 0.00),
  (700039, 2, 'AC-CHG-USB', 1, 21.89, 0.00),
  (700039, 3, 'MB-SIM-UNL', 1, 27.49, 12.50),
  (700040, 1, 'BB-FIB-500', 1, 59.19, 0.00),
  (700040, 2, 'HW-PHN-A15', 1, 590.52, 5.00),
  (700042, 1, 'BB-FIB-1G', 1, 389.92, 0.00),
  (700044, 1, 'BB-FIB-500', 1, 43.99, 0.00),
  (700045, 1, 'BB-FIB-500', 1, 43.99, 0.00),
  (700045, 2, 'TV-BASIC', 1, 16.49, 15.00),
  (700045, 3, 'SV-INSTALL', 1, 86.90, 0.00),
  (700047, 1, 'BB-FIB-1G', 1, 49.99, 0.00),
  (700047, 2, 'HW-RTR-AX', 1, 129.00, 0.00),
  (700048, 1, 'BB-FIB-100', 1, 29.99, 0.00),
  (700048, 2, 'AC-CBL-ETH', 3, 7.50, 12.50),
  (700048, 3, 'HW-PHN-A15', 1, 399.00, 0.00),
  (700049, 1, 'HW-PHN-A15', -1, 399.00, 0.00),
  (700051, 1, 'BB-FIB-100', 1, 25.79, 20.00),
  (700052, 1, 'BB-FIB-500', 1, 39.99, 0.00),
  (700052, 2, 'MB-SIM-10', 2, 9.99, 0.00),
  (700054, 1, 'BB-FIB-100', 1, 29.99, 15.00),
  (700054, 2, 'TV-SPORTS', 1, 12.50, 0.00),
  (700055, 1, 'BB-FIB-100', 1, 32.99, 0.00),
  (700055, 2, 'MB-SIM-UNL', 1, 27.49, 0.00),
  (700056, 1, 'BB-FIB-500', 1, 39.99, 12.50),
  (700057, 1, 'BB-FIB-100', 1, 25.79, 15.00),
  (700060, 1, 'BB-FIB-100', 1, 32.99, 5.00),
  (700060, 2, 'MB-SIM-UNL', 3, 27.49, 12.50),
  (700060, 3, 'AC-CHG-USB', 3, 21.89, 20.00),
  (700060, 4, 'MB-SIM-10', 3, 10.99, 0.00),
  (700061, 1, 'BB-FIB-1G', 1, 49.99, 5.00),
  (700061, 2, 'HW-PHN-A15', 1, 399.00, 0.00),
  (700061, 3, 'MB-SIM-10', 1, 9.99, 20.00),
  (700062, 1, 'BB-FIB-500', 1, 34.39, 0.00),
  (700062, 2, 'AC-CBL-ETH', 2, 6.45, 0.00),
  (700062, 3, 'HW-RTR-AX', 1, 110.94, 0.00),
  (700062, 4, 'AC-CHG-USB', 2, 17.11, 10.00),
  (700064, 1, 'HW-RTR-AX', -1, 110.94, 0.00),
  (700066, 1, 'BB-FIB-500', 1, 311.92, 12.50),
  (700067, 1, 'BB-FIB-1G', 1, 389.92, 5.00),
  (700067, 2, 'AC-CHG-USB', 1, 155.22, 0.00),
  (700069, 1, 'BB-FIB-1G', 1, 389.92, 0.00),
  (700069, 2, 'HW-RTR-AX', 1, 1006.20, 0.00),
  (700069, 3, 'MB-SIM-UNL', 3, 194.92, 0.00),
  (700071, 1, 'BB-FIB-100', 1, 29.99, 15.00),
  (700071, 2, 'HW-MESH-3', 1, 249.00, 0.00),
  (700074, 1, 'AC-CBL-ETH', 1, 1.00, 0.00);
