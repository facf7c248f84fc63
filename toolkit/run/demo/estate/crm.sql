-- ============================================================================
--  crm.sql  --  FICTIONAL legacy system "Relatio CRM" (v4.2, sales and service)
-- ============================================================================
--  Demo estate for the dict toolkit. All people, companies, e-mail addresses
--  and phone numbers are invented (example.* domains, 555-01xx and Ofcom
--  drama numbers). Portable SQL: runs unchanged on DuckDB, SQLite,
--  PostgreSQL and MariaDB. UTF-8.
--
--  WHAT CUSTOMER MEANS HERE
--    One row in contacts = one contact card. A card is either a PERSON
--    (first_name/last_name filled, company optional = the employer) or a
--    COMPANY-ONLY card (first_name and last_name NULL, company filled).
--    Nothing stops the same person being keyed twice, so duplicates exist.
--    Chinese contacts store the family name in last_name and the given
--    name in first_name (e.g. last_name = Wang, first_name = Wei in Han
--    characters), exactly as the sales team typed them.
--
--  TABLES
--    contacts    (contact_no PK) - the contact cards
--    activities  (activity_id PK, contact_no FK -> contacts) - touch points
--    company_contacts (person_id PK, contact_no FK -> contacts) - the people
--                       who act for a company-only card (buyer, accounts)
--    permissions (permission_id PK, contact_no FK) - contact permissions:
--                       opt-in / opt-out per channel and purpose, with when
--                       and where captured; the latest row per contact,
--                       channel and purpose is in force
--    orders      (order_no PK, contact_no FK) - sales orders taken by the
--                       sales team, with their current status
--    order_events (order_no, seq PK) - each order's status history
--
--  CODES
--    contacts.segment   G = gold, S = silver, P = platinum, B = basic.
--                       Anything else (X, lower-case g) is NOT a valid code.
--    contacts.lang      en, fr, zh. NULL = not captured.
--    contacts.salutation free text: Mr, Mrs, Ms, Dr, M., Mme, Mlle, Herr,
--                       Frau or NULL.
--    contacts.country   free-text country NAME as typed (France, United
--                       States, USA, US, UK, England, Deutschland, Italia,
--                       China, Chinese characters for China ...), sometimes
--                       lower/upper case or with stray spaces, NULL or empty.
--    activities.channel CALL = phone call (-> call_centre)
--                       WEB  = web self-service / web form (-> web)
--                       MAIL = e-mail exchange (-> email)
--                       SHOP = visit to a store (-> store)
--                       FAX and mixed-case variants are NOT valid codes.
--    activities.result  DONE, FOLLOW_UP, NO_ANSWER, SALE, COMPLAINT or NULL.
--    activities.activity_ts  local time (Europe/Paris), no time zone.
--    company_contacts.role  BUY = buyer, ACC = accounts payable, OWN = owner.
--    permissions.channel    EMAIL, SMS, PHONE, POST; purpose MKT = marketing,
--                           SVC = service messages; opt_in Y/N; source WEB,
--                           CALL, SHOP (where the choice was captured).
--    orders.status / order_events.status  NEW, CONF, SHIP, DELIV, CANC, RET.
--
--  DELIBERATE DATA-QUALITY PROBLEMS (for mapping tests)
--    contacts 1027      duplicate of 1001 (Marie Dupont): name is padded and
--                       upper/lower-cased, e-mail is malformed (marie.dupont@)
--    contacts 1028      duplicate of 1011 (Emily Johnson): upper-case name,
--                       mixed-case e-mail, country US
--    contacts 1002      country france (lower case)
--    contacts 1003      country with trailing space
--    contacts 1005      e-mail in upper case, country canada
--    contacts 1008      e-mail NULL, country FRANCE
--    contacts 1012      phone 555.0199 (no area code)
--    contacts 1013      country united states (lower case)
--    contacts 1014      segment X (unknown), e-mail with trailing space
--    contacts 1015      country with leading space, lang NULL
--    contacts 1019      country England (not a country name in ISO terms)
--    contacts 1024      e-mail NULL, country written in Chinese characters
--    contacts 1025      Chinese person stored with romanised (pinyin) names
--    contacts 1029/1030 company-only cards (no person name)
--    contacts 1030      country empty string
--    contacts 1031      e-mail n/a (malformed), country NULL, lang NULL
--    contacts 1032      segment g (lower case, invalid as stored)
--    contacts 1034      JUNK test row (TEST / test@test.test) - reject it
--    activities         see the comments above the affected rows: one FAX
--                       channel, one lower-case web channel, one placeholder
--                       timestamp 1999-12-31 00:00:00, one activity for the
--                       junk contact 1034.
--    permissions 9      channel PIGEON (not a channel) - reject it
--    order_events       order 5003 cancelled before shipping, order 5004
--                       returned after delivery
-- ============================================================================

CREATE TABLE contacts (
    contact_no  INTEGER PRIMARY KEY,
    salutation  VARCHAR(10),
    first_name  VARCHAR(50),
    last_name   VARCHAR(50),
    company     VARCHAR(100),
    email       VARCHAR(120),
    phone       VARCHAR(30),
    mobile      VARCHAR(30),
    street      VARCHAR(100),
    city        VARCHAR(60),
    zip         VARCHAR(12),
    country     VARCHAR(60),
    segment     VARCHAR(2),
    created_on  DATE,
    lang        VARCHAR(5)
);

CREATE TABLE activities (
    activity_id INTEGER PRIMARY KEY,
    contact_no  INTEGER NOT NULL REFERENCES contacts (contact_no),
    channel     VARCHAR(10),
    activity_ts TIMESTAMP NOT NULL,
    subject     VARCHAR(200),
    result      VARCHAR(20)
);

INSERT INTO contacts (contact_no, salutation, first_name, last_name, company, email, phone, mobile, street, city, zip, country, segment, created_on, lang) VALUES
  (1001, 'Mme', 'Marie', 'Dupont', NULL, 'marie.dupont@example.fr', '+33 1 42 68 53 00', '+33 6 12 34 56 78', '12 Rue de Rivoli', 'Paris', '75004', 'France', 'G', '2016-03-14', 'fr'),
  -- DQ: country in lower case
  (1002, 'M.', 'Jean', 'Dupont', NULL, 'jean.dupont@example.fr', '01 42 68 53 00', NULL, '12 rue de Rivoli', 'Paris', '75004', 'france', 'S', '2016-03-14', 'fr'),
  -- DQ: country with trailing space
  (1003, 'Mme', 'Hélène', 'Lefèvre', NULL, 'helene.lefevre@example.fr', '+33 4 72 10 30 30', '06 98 76 54 32', '5 Place Bellecour', 'Lyon', '69002', 'France ', 'P', '2018-06-02', 'fr'),
  (1004, 'M.', 'François', 'Côté', 'Côté Design Inc.', 'francois.cote@example.ca', '+1 514 555 0142', NULL, '1200 Rue Sainte-Catherine O', 'Montréal', 'H3B 1K9', 'Canada', 'B', '2019-09-23', 'fr'),
  -- DQ: e-mail all upper case, country lower case
  (1005, 'Mlle', 'Zoë', 'Bélanger', NULL, 'ZOE.BELANGER@EXAMPLE.CA', '(514) 555-0187', NULL, '455 Boulevard Saint-Laurent', 'Montréal', 'H2Y 2Y7', 'canada', 'S', '2021-01-11', 'fr'),
  (1006, 'M.', 'Luc', 'Martin', NULL, 'luc.martin@example.fr', '04 91 55 11 11', NULL, '8 Quai du Port', 'Marseille', '13002', 'France', 'B', '2017-11-30', 'fr'),
  (1007, 'Mme', 'Camille', 'Bernard', 'Bernard Conseil SARL', 'c.bernard@bernard-conseil.example.fr', '+33 5 56 00 66 00', NULL, '22 Cours de l''Intendance', 'Bordeaux', '33000', 'France', 'P', '2015-05-19', 'fr'),
  -- DQ: e-mail NULL, country upper case
  (1008, 'Mme', 'Élodie', 'Moreau', NULL, NULL, '02 40 41 90 00', '+33 7 11 22 33 44', '3 Rue Crébillon', 'Nantes', '44000', 'FRANCE', 'S', '2022-08-08', 'fr'),
  (1009, 'Mr', 'John', 'Smith', NULL, 'john.smith@example.com', '(206) 555-0100', '206-555-0111', '400 Pine St', 'Seattle', '98101', 'United States', 'G', '2016-07-04', 'en'),
  (1010, 'Mrs', 'Sarah', 'Smith', NULL, 'sarah.smith@example.com', '(206) 555-0100', NULL, '400 Pine St', 'Seattle', '98101', 'USA', 'S', '2016-07-04', 'en'),
  (1011, 'Ms', 'Emily', 'Johnson', NULL, 'emily.johnson@example.com', '617-555-0123', NULL, '77 Beacon St', 'Boston', '02108', 'United States', 'P', '2018-02-27', 'en'),
  -- DQ: phone without area code
  (1012, 'Mr', 'Michael', 'Brown', NULL, 'mbrown@example.com', '555.0199', NULL, '233 S Wacker Dr', 'Chicago', '60606', 'United States', 'B', '2020-04-15', 'en'),
  -- DQ: country lower case
  (1013, 'Ms', 'Jessica', 'Davis', 'Davis Analytics LLC', 'jessica@davis-analytics.example.com', '+1 512 555 0160', NULL, '600 Congress Ave', 'Austin', '78701', 'united states', 'G', '2019-10-01', 'en'),
  -- DQ: unknown segment X, e-mail with trailing space
  (1014, 'Mr', 'David', 'Miller', NULL, 'david.miller@example.com ', '303.555.0175', NULL, '1600 Glenarm Pl', 'Denver', '80202', 'United States', 'X', '2023-03-03', 'en'),
  -- DQ: country with leading space, lang NULL
  (1015, 'Ms', 'Ashley', 'Wilson', NULL, 'ashley.wilson@example.com', '(503) 555-0134', NULL, '1120 NW Couch St', 'Portland', '97209', ' United States', 'S', '2021-06-21', NULL),
  (1016, 'Mr', 'Robert', 'Garcia', NULL, 'robert.garcia@example.com', '619 555 0148', NULL, '350 10th Ave', 'San Diego', '92101', 'United States', 'B', '2022-12-12', 'en'),
  (1017, 'Mr', 'Oliver', 'Taylor', NULL, 'oliver.taylor@example.co.uk', '0044 20 7946 0958', '07700 900123', '10 Baker Street', 'London', 'NW1 6XE', 'United Kingdom', 'G', '2017-01-09', 'en'),
  (1018, 'Ms', 'Amelia', 'Clarke', NULL, 'amelia.clarke@example.co.uk', '0161 496 0321', NULL, '1 Piccadilly', 'Manchester', 'M1 1RG', 'UK', 'S', '2020-10-05', 'en'),
  -- DQ: country England
  (1019, 'Mr', 'Harry', 'Evans', NULL, 'harry.evans@example.co.uk', '+44 117 496 0555', NULL, '5 Park Row', 'Bristol', 'BS1 5LJ', 'England', 'B', '2023-07-17', 'en'),
  -- note: lang NULL because German is not a supported language
  (1020, 'Herr', 'Lukas', 'Müller', NULL, 'lukas.mueller@example.de', '+49 30 901820', NULL, 'Unter den Linden 7', 'Berlin', '10117', 'Deutschland', 'P', '2018-09-09', NULL),
  (1021, 'Frau', 'Anna', 'Schröder', 'Schröder & Partner GmbH', 'anna.schroeder@schroeder-partner.example.de', '040 428280', NULL, 'Jungfernstieg 1', 'Hamburg', '20354', 'Germany', 'S', '2019-04-04', 'en'),
  -- Chinese names: last_name = family name, first_name = given name
  (1022, NULL, '伟', '王', NULL, 'wang.wei@example.cn', '+86 10 6552 9988', NULL, '建国门外大街1号', '北京', '100004', 'China', 'G', '2019-12-01', 'zh'),
  (1023, NULL, '娜', '李', NULL, 'li.na@example.cn', '+86 21 6321 0000', '139 1234 5678', '南京东路100号', '上海', '200001', 'china', 'S', '2020-02-20', 'zh'),
  -- DQ: e-mail NULL, country written in Chinese
  (1024, NULL, '敏', '张', NULL, NULL, '0755-8888 1234', NULL, '深南大道6008号', '深圳', '518000', '中国', 'B', '2021-05-05', 'zh'),
  -- DQ: Chinese person keyed with romanised names
  (1025, 'Ms', 'Jing', 'Chen', NULL, 'chen.jing@example.cn', '+86 20 8888 6666', NULL, '天河路208号', 'Guangzhou', '510620', 'China', 'S', '2022-03-30', 'en'),
  (1026, 'Ms', 'Sofia', 'Rossi', NULL, 'sofia.rossi@example.it', '+39 02 8845 6789', NULL, 'Via Dante 12', 'Milano', '20121', 'Italia', 'B', '2023-01-25', 'en'),
  -- DQ: DUPLICATE of 1001 - padded and mis-cased names, malformed e-mail
  (1027, NULL, ' marie', 'DUPONT ', NULL, 'marie.dupont@', '0142685300', NULL, '12, rue de Rivoli', 'PARIS', '75004', 'France', 'G', '2021-09-10', 'fr'),
  -- DQ: DUPLICATE of 1011 - upper-case names, mixed-case e-mail, country US
  (1028, 'Ms', 'EMILY', 'JOHNSON', NULL, 'Emily.Johnson@Example.com', '(617) 555-0123', NULL, '77 Beacon Street', 'Boston', '02108', 'US', 'P', '2023-11-02', 'en'),
  -- company-only contact card (no person)
  (1029, NULL, NULL, NULL, 'Acme Logistics Ltd', 'accounts@acme-logistics.example.co.uk', '+44 20 7946 0000', NULL, '1 Canada Square', 'London', 'E14 5AB', 'United Kingdom', 'B', '2018-08-18', 'en'),
  -- company-only contact card, DQ: country empty string
  (1030, NULL, NULL, NULL, 'Pacifica Trading Co.', 'info@pacifica.example.com', '(415) 555-0190', NULL, '101 Mission St', 'San Francisco', '94105', '', 'S', '2019-02-11', 'en'),
  -- DQ: e-mail n/a, country NULL, lang NULL
  (1031, 'Mr', 'Carlos', 'Fernández', NULL, 'n/a', '+34 91 123 45 67', NULL, 'Calle de Alcalá 50', 'Madrid', '28014', NULL, 'B', '2024-02-14', NULL),
  -- DQ: segment in lower case
  (1032, 'Ms', 'Priya', 'Patel', NULL, 'priya.patel@example.co.uk', '020 7946 0321', '+44 7700 900456', '221 Brick Lane', 'London', 'E1 6SB', 'United Kingdom', 'g', '2022-05-09', 'en'),
  (1033, 'Ms', 'Ingrid', 'Johansson', NULL, 'ingrid.johansson@example.se', '+46 8 123 456 78', NULL, 'Drottninggatan 10', 'Stockholm', '111 51', 'Sweden', 'S', '2020-11-23', 'en'),
  -- JUNK: test row - must be rejected
  (1034, NULL, 'TEST', 'TEST', 'TEST COMPANY - DO NOT USE', 'test@test.test', '0000000000', NULL, '123 Test Street', 'Testville', '00000', 'Testland', 'B', '2024-01-01', 'en'),
  (1035, 'Mrs', 'Maria', 'Garcia', NULL, 'maria.garcia@example.com', '(619) 555-0148', NULL, '350 10th Ave', 'San Diego', '92101', 'United States', 'B', '2022-12-12', 'en');

INSERT INTO activities (activity_id, contact_no, channel, activity_ts, subject, result) VALUES
  (1, 1023, 'CALL', '2023-01-02 15:14:59', 'Billing question', 'NO_ANSWER'),
  (2, 1023, 'MAIL', '2023-01-03 14:57:25', 'Invoice copy requested', 'COMPLAINT'),
  (3, 1024, 'MAIL', '2023-01-30 13:19:27', '发票副本申请', NULL),
  (4, 1022, 'WEB', '2023-02-10 10:25:33', '网上订购', 'DONE'),
  (5, 1023, 'CALL', '2023-02-11 18:59:57', '账单查询', 'COMPLAINT'),
  (6, 1012, 'CALL', '2023-02-25 14:41:18', 'Moving house', 'FOLLOW_UP'),
  (7, 1003, 'CALL', '2023-03-06 18:42:18', 'Question sur la facture', 'DONE'),
  (8, 1033, 'WEB', '2023-03-13 16:21:52', 'Online order', 'DONE'),
  (9, 1016, 'WEB', '2023-03-14 08:10:53', 'Online order', 'DONE'),
  (10, 1022, 'WEB', '2023-03-20 08:03:28', '密码重置', 'DONE'),
  (11, 1020, 'SHOP', '2023-04-01 12:46:21', 'Store visit: router swap', 'SALE'),
  (12, 1026, 'WEB', '2023-04-04 13:48:42', 'Newsletter sign-up', 'DONE'),
  (13, 1007, 'WEB', '2023-04-11 19:18:00', 'Contact form: coverage check', NULL),
  (14, 1011, 'SHOP', '2023-04-21 15:11:39', 'Store visit: SIM replacement', 'DONE'),
  (15, 1029, 'SHOP', '2023-04-27 18:20:39', 'Store visit: SIM replacement', 'DONE'),
  (16, 1024, 'CALL', '2023-05-03 18:42:03', '宽带故障报修', 'DONE'),
  (17, 1017, 'CALL', '2023-05-05 15:03:04', 'Billing question', 'DONE'),
  (18, 1021, 'SHOP', '2023-05-08 18:13:11', 'Store visit: SIM replacement', 'DONE'),
  (19, 1030, 'CALL', '2023-05-10 10:18:12', 'Fault report: no internet', 'FOLLOW_UP'),
  (20, 1032, 'CALL', '2023-05-12 16:18:20', 'Upgrade enquiry', 'FOLLOW_UP'),
  (21, 1014, 'WEB', '2023-06-19 16:52:48', 'Password reset', 'DONE'),
  -- DQ: channel code in lower case
  (22, 1015, 'web', '2023-06-20 15:34:53', 'Contact form: coverage check', 'DONE'),
  (23, 1013, 'CALL', '2023-07-08 10:51:16', 'Cancellation request', 'FOLLOW_UP'),
  (24, 1001, 'MAIL', '2023-07-27 13:00:15', 'Réclamation : intervention du technicien', 'DONE'),
  (25, 1004, 'SHOP', '2023-08-02 16:58:00', 'Store visit: router swap', 'DONE'),
  (26, 1008, 'SHOP', '2023-08-11 13:09:58', 'Store visit: phone purchase', 'SALE'),
  (27, 1020, 'SHOP', '2023-08-15 12:12:00', 'Store visit: phone purchase', 'DONE'),
  (28, 1001, 'WEB', '2023-08-26 19:43:19', 'Contact form: coverage check', 'DONE'),
  (29, 1019, 'SHOP', '2023-08-28 17:51:42', 'Store visit: phone purchase', 'SALE'),
  (30, 1029, 'WEB', '2023-09-01 11:29:28', 'Contact form: coverage check', NULL),
  (31, 1004, 'WEB', '2023-09-01 11:53:23', 'Plan change online', 'DONE'),
  (32, 1005, 'MAIL', '2023-09-02 13:22:28', 'Complaint about engineer visit', 'DONE'),
  (33, 1032, 'WEB', '2023-09-04 16:19:31', 'Online order', 'DONE'),
  (34, 1009, 'WEB', '2023-09-11 08:06:53', 'Newsletter sign-up', 'DONE'),
  (35, 1024, 'CALL', '2023-10-07 19:03:59', '账单查询', 'NO_ANSWER'),
  (36, 1029, 'WEB', '2023-10-13 17:19:28', 'Newsletter sign-up', 'DONE'),
  (37, 1006, 'MAIL', '2023-10-19 17:03:47', 'Complaint about engineer visit', 'FOLLOW_UP'),
  (38, 1006, 'WEB', '2023-10-23 11:10:31', 'Online order', 'DONE'),
  (39, 1009, 'SHOP', '2023-11-02 11:26:45', 'Store visit: SIM replacement', 'DONE'),
  (40, 1026, 'CALL', '2023-11-03 15:21:12', 'Cancellation request', 'NO_ANSWER'),
  (41, 1009, 'MAIL', '2023-11-08 12:32:14', 'Complaint about engineer visit', 'DONE'),
  (42, 1015, 'WEB', '2023-11-28 16:40:44', 'Newsletter sign-up', 'DONE'),
  (43, 1024, 'WEB', '2023-11-29 14:39:05', 'Online order', 'SALE'),
  (44, 1021, 'MAIL', '2023-11-30 17:04:57', 'Complaint about engineer visit', NULL),
  (45, 1003, 'CALL', '2023-12-04 19:33:25', 'Cancellation request', 'DONE'),
  (46, 1006, 'MAIL', '2023-12-11 18:44:51', 'Invoice copy requested', NULL),
  (47, 1008, 'WEB', '2023-12-22 17:20:27', 'Plan change online', 'DONE'),
  -- DQ: placeholder timestamp 1999-12-31 (before the contact was created)
  (48, 1018, 'WEB', '1999-12-31 00:00:00', 'Plan change online', 'DONE'),
  (49, 1001, 'MAIL', '2024-01-02 19:19:43', 'Réclamation : intervention du technicien', NULL),
  (50, 1001, 'WEB', '2024-01-10 19:48:55', 'Contact form: coverage check', 'DONE'),
  (51, 1009, 'CALL', '2024-01-16 18:12:49', 'Cancellation request', 'NO_ANSWER'),
  (52, 1022, 'WEB', '2024-01-17 09:53:32', '网上订购', NULL),
  (53, 1002, 'SHOP', '2024-01-19 14:59:53', 'Store visit: SIM replacement', 'DONE'),
  (54, 1014, 'WEB', '2024-01-22 14:57:04', 'Online order', NULL),
  (55, 1026, 'CALL', '2024-01-27 19:13:49', 'Billing question', 'DONE'),
  (56, 1032, 'MAIL', '2024-02-05 09:40:39', 'Direct debit mandate', 'FOLLOW_UP'),
  (57, 1026, 'MAIL', '2024-02-10 19:07:21', 'Complaint about engineer visit', 'COMPLAINT'),
  (58, 1001, 'WEB', '2024-02-15 11:52:29', 'Contact form: coverage check', NULL),
  (59, 1015, 'SHOP', '2024-02-16 19:27:56', 'Store visit: phone purchase', 'DONE'),
  (60, 1014, 'WEB', '2024-02-19 12:23:13', 'Newsletter sign-up', 'DONE'),
  (61, 1014, 'CALL', '2024-02-24 18:10:39', 'Cancellation request', 'COMPLAINT'),
  (62, 1030, 'WEB', '2024-02-28 11:51:20', 'Online order', NULL),
  (63, 1009, 'WEB', '2024-02-28 17:30:34', 'Online order', 'DONE'),
  (64, 1035, 'MAIL', '2024-02-29 09:40:45', 'Reply to price change notice', NULL),
  (65, 1027, 'CALL', '2024-03-06 15:44:47', 'Moving house', 'FOLLOW_UP'),
  (66, 1010, 'CALL', '2024-03-12 16:01:39', 'Moving house', 'NO_ANSWER'),
  (67, 1032, 'WEB', '2024-03-16 08:52:50', 'Password reset', 'DONE'),
  (68, 1021, 'CALL', '2024-03-16 12:23:37', 'Billing question', 'COMPLAINT'),
  (69, 1003, 'WEB', '2024-03-27 13:50:56', 'Online order', NULL),
  (70, 1018, 'SHOP', '2024-04-05 16:54:55', 'Store visit: phone purchase', 'SALE'),
  (71, 1031, 'SHOP', '2024-04-15 18:40:09', 'Store visit: SIM replacement', 'DONE'),
  (72, 1022, 'CALL', '2024-04-16 13:09:12', 'Moving house', 'DONE'),
  (73, 1030, 'SHOP', '2024-04-24 13:21:48', 'Store visit: router swap', 'SALE'),
  (74, 1028, 'CALL', '2024-05-04 09:48:30', 'Upgrade enquiry', 'DONE'),
  -- DQ: unknown channel code FAX
  (75, 1020, 'FAX', '2024-05-06 19:47:01', 'Order form received by fax', 'DONE'),
  (76, 1028, 'CALL', '2024-05-07 19:51:47', 'Fault report: no internet', 'DONE'),
  (77, 1019, 'WEB', '2024-05-15 19:54:00', 'Password reset', 'DONE'),
  (78, 1017, 'WEB', '2024-05-21 16:06:36', 'Newsletter sign-up', 'DONE'),
  (79, 1017, 'MAIL', '2024-05-22 12:43:06', 'Complaint about engineer visit', 'DONE'),
  (80, 1017, 'WEB', '2024-06-07 15:52:04', 'Newsletter sign-up', 'DONE'),
  (81, 1027, 'CALL', '2024-06-10 16:03:23', 'Question sur la facture', 'NO_ANSWER'),
  (82, 1018, 'WEB', '2024-06-20 16:20:09', 'Contact form: coverage check', 'DONE'),
  (83, 1016, 'WEB', '2024-06-28 12:45:19', 'Newsletter sign-up', 'DONE'),
  (84, 1002, 'WEB', '2024-07-01 10:59:27', 'Password reset', 'DONE'),
  (85, 1022, 'MAIL', '2024-07-04 16:44:01', 'Invoice copy requested', NULL),
  (86, 1002, 'CALL', '2024-08-08 12:23:17', 'Billing question', 'DONE'),
  (87, 1019, 'CALL', '2024-08-15 10:45:15', 'Cancellation request', 'FOLLOW_UP'),
  (88, 1031, 'CALL', '2024-09-04 09:34:41', 'Moving house', 'NO_ANSWER'),
  (89, 1010, 'MAIL', '2024-09-06 13:59:45', 'Complaint about engineer visit', 'COMPLAINT'),
  (90, 1017, 'WEB', '2024-09-07 15:20:46', 'Password reset', 'DONE'),
  (91, 1013, 'WEB', '2024-09-25 09:00:48', 'Online order', 'DONE'),
  (92, 1005, 'CALL', '2024-10-01 19:29:16', 'Fault report: no internet', 'DONE'),
  (93, 1021, 'CALL', '2024-10-15 10:34:07', 'Moving house', 'FOLLOW_UP'),
  (94, 1025, 'WEB', '2024-11-22 18:39:32', 'Contact form: coverage check', 'DONE'),
  (95, 1016, 'CALL', '2024-11-30 08:59:59', 'Moving house', 'NO_ANSWER'),
  (96, 1004, 'WEB', '2024-12-16 08:35:49', 'Plan change online', NULL),
  -- JUNK: activity of the test contact 1034
  (97, 1034, 'WEB', '2024-01-01 00:00:01', 'test test test', 'DONE');

CREATE TABLE company_contacts (
    person_id   INTEGER PRIMARY KEY,
    contact_no  INTEGER NOT NULL REFERENCES contacts (contact_no),
    person_name VARCHAR(100) NOT NULL,
    job_title   VARCHAR(60),
    role        VARCHAR(3),
    email       VARCHAR(120)
);

CREATE TABLE permissions (
    permission_id INTEGER PRIMARY KEY,
    contact_no    INTEGER NOT NULL REFERENCES contacts (contact_no),
    channel       VARCHAR(10) NOT NULL,
    purpose       VARCHAR(3) NOT NULL,
    opt_in        VARCHAR(1) NOT NULL,
    changed_at    TIMESTAMP NOT NULL,
    source        VARCHAR(4)
);

CREATE TABLE orders (
    order_no    INTEGER PRIMARY KEY,
    contact_no  INTEGER NOT NULL REFERENCES contacts (contact_no),
    ordered_at  TIMESTAMP NOT NULL,
    status      VARCHAR(5) NOT NULL,
    total       DECIMAL(10,2),
    currency    VARCHAR(3)
);

CREATE TABLE order_events (
    order_no   INTEGER NOT NULL REFERENCES orders (order_no),
    seq        INTEGER NOT NULL,
    status     VARCHAR(5) NOT NULL,
    event_ts   TIMESTAMP NOT NULL,
    reason     VARCHAR(60),
    PRIMARY KEY (order_no, seq)
);

INSERT INTO company_contacts (person_id, contact_no, person_name, job_title, role, email) VALUES
  (1, 1029, 'Priya Patel', 'Procurement Manager', 'BUY', 'priya.patel@acme-logistics.example.co.uk'),
  (2, 1029, 'Tom Hughes', 'Accounts Payable Clerk', 'ACC', 'accounts@acme-logistics.example.co.uk'),
  (3, 1030, 'Diego Ramirez', 'Owner', 'OWN', 'diego@pacifica.example.com');

INSERT INTO permissions (permission_id, contact_no, channel, purpose, opt_in, changed_at, source) VALUES
  (1, 1001, 'EMAIL', 'MKT', 'Y', '2016-03-14 10:12:00', 'SHOP'),
  (2, 1001, 'SMS', 'MKT', 'N', '2016-03-14 10:12:00', 'SHOP'),
  -- 1001 later withdrew e-mail marketing on the web: the opt-out is in force
  (3, 1001, 'EMAIL', 'MKT', 'N', '2023-02-01 21:40:10', 'WEB'),
  (4, 1011, 'EMAIL', 'MKT', 'Y', '2019-06-02 09:00:00', 'WEB'),
  (5, 1011, 'EMAIL', 'SVC', 'Y', '2019-06-02 09:00:00', 'WEB'),
  (6, 1017, 'EMAIL', 'MKT', 'Y', '2024-05-21 16:06:36', 'WEB'),
  (7, 1017, 'PHONE', 'MKT', 'N', '2024-05-22 12:43:06', 'CALL'),
  (8, 1029, 'POST', 'SVC', 'Y', '2018-08-18 11:30:00', 'CALL'),
  -- DQ: PIGEON is not a channel
  (9, 1016, 'PIGEON', 'MKT', 'Y', '2024-06-28 12:45:19', 'WEB');

INSERT INTO orders (order_no, contact_no, ordered_at, status, total, currency) VALUES
  (5001, 1013, '2024-09-25 09:00:48', 'DELIV', 149.00, 'USD'),
  (5002, 1018, '2024-04-05 16:54:55', 'SHIP', 399.00, 'EUR'),
  (5003, 1019, '2024-08-15 10:45:15', 'CANC', 59.00, 'GBP'),
  (5004, 1029, '2024-03-01 08:30:00', 'RET', 1250.00, 'GBP');

INSERT INTO order_events (order_no, seq, status, event_ts, reason) VALUES
  (5001, 1, 'NEW', '2024-09-25 09:00:48', NULL),
  (5001, 2, 'CONF', '2024-09-25 09:05:00', NULL),
  (5001, 3, 'SHIP', '2024-09-26 14:00:00', NULL),
  (5001, 4, 'DELIV', '2024-09-28 11:20:00', NULL),
  (5002, 1, 'NEW', '2024-04-05 16:54:55', NULL),
  (5002, 2, 'CONF', '2024-04-05 17:00:00', NULL),
  (5002, 3, 'SHIP', '2024-04-08 09:10:00', NULL),
  (5003, 1, 'NEW', '2024-08-15 10:45:15', NULL),
  (5003, 2, 'CANC', '2024-08-16 09:00:00', 'customer cancelled before shipping'),
  (5004, 1, 'NEW', '2024-03-01 08:30:00', NULL),
  (5004, 2, 'CONF', '2024-03-01 09:00:00', NULL),
  (5004, 3, 'SHIP', '2024-03-04 15:00:00', NULL),
  (5004, 4, 'DELIV', '2024-03-06 10:00:00', NULL),
  (5004, 5, 'RET', '2024-03-20 12:00:00', 'wrong model delivered');
