-- ============================================================================
--  callcentre.sql  --  FICTIONAL legacy system "VoxDesk" (contact-centre ACD)
-- ============================================================================
--  Demo estate for the dict toolkit. All callers, numbers, e-mail addresses
--  and agents are invented. Portable SQL: runs unchanged on DuckDB, SQLite,
--  PostgreSQL and MariaDB. UTF-8.
--
--  WHAT CUSTOMER MEANS HERE
--    A caller is whoever the agent created a caller card for, keyed by the
--    number the call came from (phone_number = the caller line identity AS
--    DIALLED / as presented, in whatever format the telephony delivered or
--    the agent typed). caller_name is typed by the agent during the call:
--    any case, any order (DUPONT MARIE), accents sometimes dropped, Chinese
--    callers sometimes in Han characters, sometimes romanised. The same
--    person calling from two numbers gets two caller cards. There is no
--    postal address and no customer number from the other systems.
--
--  TABLES
--    callers (caller_id PK)
--    calls   (call_id PK, caller_id FK -> callers)
--
--  CODES
--    callers.region     EMEA, AMER, APAC (upper case). NULL = unknown.
--    calls.queue        Billing, Tech, Sales, Retention (exact case).
--    calls.disposition  RESOLVED     = solved during the call
--                       CALLBACK     = agent promised a call back
--                       ESCALATED    = handed to 2nd line
--                       TRANSFERRED  = transferred to another queue
--                       ABANDONED    = caller hung up before an agent
--                                      answered (agent is NULL)
--                       Anything else (ZZ) is NOT a valid code.
--    calls.agent        agent login (firstname initial + surname), NULL
--                       when the call was abandoned.
--    calls.started_at / ended_at  local time of the centre (Europe/Paris),
--                       no time zone. Every call is an interaction on the
--                       call_centre channel.
--
--  DELIBERATE DATA-QUALITY PROBLEMS (for mapping tests)
--    callers 2  DUPLICATE of caller 1 (Marie Dupont calling from her mobile), name as LAST FIRST in upper case, e-mail NULL
--    callers 3  accents dropped (Lefevre instead of Lefèvre)
--    callers 5  name case, e-mail in upper case, phone without any formatting
--    callers 6  phone without area code
--    callers 7  DUPLICATE of caller 6 (Mike = Michael Brown), region in lower case, e-mail NULL
--    callers 10  malformed e-mail n/a
--    callers 15  accents dropped (Francois Cote)
--    callers 17  umlaut transliterated (Mueller)
--    callers 19  name in upper case
--    callers 20  e-mail with trailing space
--    callers 21  e-mail NULL, region NULL
--    callers 23  name with leading space
--    callers 24  placeholder caller for withheld numbers (not a person)
--    callers 999  JUNK: test caller - must be rejected with its calls
--    calls 80004  agent NULL on an answered call
--    calls 80006  ended_at is BEFORE started_at (switch clock problem)
--    calls 80010  queue in upper case with trailing space
--    calls 80016  unknown disposition code ZZ
--    calls 80042  implausible duration over 9 hours (agent never hung up)
--    calls 80094  JUNK: call of the test caller 999
--    calls 80095  JUNK: call of the test caller 999
-- ============================================================================

CREATE TABLE callers (
    caller_id      INTEGER PRIMARY KEY,
    caller_name    VARCHAR(100),
    phone_number   VARCHAR(30),
    callback_email VARCHAR(120),
    region         VARCHAR(10)
);

CREATE TABLE calls (
    call_id     INTEGER PRIMARY KEY,
    caller_id   INTEGER NOT NULL REFERENCES callers (caller_id),
    started_at  TIMESTAMP NOT NULL,
    ended_at    TIMESTAMP NOT NULL,
    queue       VARCHAR(20),
    disposition VARCHAR(20),
    agent       VARCHAR(30)
);

INSERT INTO callers (caller_id, caller_name, phone_number, callback_email, region) VALUES
  (1, 'Marie Dupont', '+33142685300', 'marie.dupont@example.fr', 'EMEA'),
  -- DQ: DUPLICATE of caller 1 (Marie Dupont calling from her mobile), name as LAST FIRST in upper case, e-mail NULL
  (2, 'DUPONT MARIE', '0612345678', NULL, 'EMEA'),
  -- DQ: accents dropped (Lefevre instead of Lefèvre)
  (3, 'Hélène Lefevre', '0472103030', 'helene.lefevre@example.fr', 'EMEA'),
  (4, 'John Smith', '(206) 555-0100', 'john.smith@example.com', 'AMER'),
  -- DQ: name case, e-mail in upper case, phone without any formatting
  (5, 'Sarah smith', '2065550100', 'SARAH.SMITH@EXAMPLE.COM', 'AMER'),
  -- DQ: phone without area code
  (6, 'Michael Brown', '555.0199', 'mbrown@example.com', 'AMER'),
  -- DQ: DUPLICATE of caller 6 (Mike = Michael Brown), region in lower case, e-mail NULL
  (7, 'Mike Brown', '+1 (312) 555-0199', NULL, 'amer'),
  (8, 'Emily Johnson', '617-555-0123', 'emily.johnson@example.com', 'AMER'),
  (9, 'Oliver Taylor', '0044 20 7946 0958', 'oliver.taylor@example.co.uk', 'EMEA'),
  -- DQ: malformed e-mail n/a
  (10, 'Amelia Clarke', '+441614960321', 'n/a', 'EMEA'),
  (11, '王伟', '+86 10 6552 9988', 'wang.wei@example.cn', 'APAC'),
  -- Chinese person keyed with romanised name (Li Na)
  (12, 'Li Na', '+86 21 6321 0000', 'li.na@example.cn', 'APAC'),
  -- e-mail NULL
  (13, '张敏', '+86 755 8888 1234', NULL, 'APAC'),
  -- person known only to the call centre
  (14, '刘洋', '+86 28 8555 1234', 'liu.yang@example.cn', 'APAC'),
  -- DQ: accents dropped (Francois Cote)
  (15, 'Francois Cote', '514.555.0142', 'francois.cote@example.ca', 'AMER'),
  (16, 'Zoë Bélanger', '+1 514 555 0187', 'zoe.belanger@example.ca', 'AMER'),
  -- DQ: umlaut transliterated (Mueller)
  (17, 'Lukas Mueller', '+49 30 901820', 'lukas.mueller@example.de', 'EMEA'),
  (18, 'Sofia Rossi', '0039 02 88456789', 'sofia.rossi@example.it', 'EMEA'),
  -- DQ: name in upper case
  (19, 'ASHLEY WILSON', '(503) 555-0134', 'ashley.wilson@example.com', 'AMER'),
  -- DQ: e-mail with trailing space
  (20, 'Priya Patel', '07700 900456', 'priya.patel@example.co.uk ', 'EMEA'),
  -- DQ: e-mail NULL, region NULL
  (21, 'Robert Garcia', '619.555.0148', NULL, NULL),
  (22, 'Harry Evans', '0117 496 0555', 'harry.evans@example.co.uk', 'EMEA'),
  -- DQ: name with leading space
  (23, ' Luc Martin', '04 91 55 11 11', 'luc.martin@example.fr', 'EMEA'),
  -- DQ: placeholder caller for withheld numbers (not a person)
  (24, 'Unknown caller', 'ANONYMOUS', NULL, NULL),
  -- Chinese person keyed with romanised name (Chen Jing)
  (25, 'Chen Jing', '+86 20 8888 6666', 'chen.jing@example.cn', 'APAC'),
  -- e-mail NULL
  (26, 'Élodie Moreau', '+33 2 40 41 90 00', NULL, 'EMEA'),
  (27, 'Ingrid Johansson', '+46 8 123 456 78', 'ingrid.johansson@example.se', 'EMEA'),
  (28, 'Jessica Davis', '512-555-0160', 'jessica@davis-analytics.example.com', 'AMER'),
  -- JUNK: test caller - must be rejected with its calls
  (999, 'TEST CALL - IGNORE', '000', 'test@test.test', 'TEST');

INSERT INTO calls (call_id, caller_id, started_at, ended_at, queue, disposition, agent) VALUES
  (80001, 22, '2024-01-02 17:06:06', '2024-01-02 17:07:59', 'Tech', 'RESOLVED', 'a.khan'),
  -- zero-length abandoned call (ended_at = started_at)
  (80002, 9, '2024-01-06 11:17:27', '2024-01-06 11:17:27', 'Tech', 'ABANDONED', NULL),
  (80003, 25, '2024-01-10 10:17:16', '2024-01-10 10:33:43', 'Sales', 'RESOLVED', 'd.schmidt'),
  -- DQ: agent NULL on an answered call
  (80004, 21, '2024-01-10 15:54:34', '2024-01-10 16:05:09', 'Tech', 'RESOLVED', NULL),
  (80005, 22, '2024-01-19 18:29:23', '2024-01-19 18:48:04', 'Sales', 'TRANSFERRED', 'g.moreau'),
  -- DQ: ended_at is BEFORE started_at (switch clock problem)
  (80006, 4, '2024-01-27 16:29:08', '2024-01-27 16:22:08', 'Tech', 'RESOLVED', 'c.okafor'),
  (80007, 26, '2024-01-29 10:31:52', '2024-01-29 11:00:22', 'Billing', 'RESOLVED', 'f.li'),
  (80008, 17, '2024-01-29 14:42:51', '2024-01-29 14:47:13', 'Tech', 'RESOLVED', 'f.li'),
  (80009, 21, '2024-01-29 16:53:37', '2024-01-29 16:59:17', 'Sales', 'CALLBACK', 'g.moreau'),
  -- DQ: queue in upper case with trailing space
  (80010, 19, '2024-01-31 09:09:39', '2024-01-31 09:22:59', 'TECH ', 'RESOLVED', 'c.okafor'),
  (80011, 21, '2024-02-01 10:53:39', '2024-02-01 11:21:14', 'Tech', 'RESOLVED', 'f.li'),
  (80012, 6, '2024-02-01 12:57:24', '2024-02-01 13:13:25', 'Retention', 'TRANSFERRED', 'b.nguyen'),
  (80013, 19, '2024-02-05 11:02:10', '2024-02-05 11:17:41', 'Tech', 'RESOLVED', 'c.okafor'),
  (80014, 11, '2024-02-13 16:57:30', '2024-02-13 17:02:33', 'Sales', 'CALLBACK', 'g.moreau'),
  (80015, 17, '2024-02-21 18:44:16', '2024-02-21 18:56:24', 'Tech', 'RESOLVED', 'e.rossi'),
  -- DQ: unknown disposition code ZZ
  (80016, 12, '2024-02-24 11:29:58', '2024-02-24 11:36:40', 'Tech', 'ZZ', 'f.li'),
  (80017, 27, '2024-02-24 15:53:35', '2024-02-24 15:58:53', 'Billing', 'RESOLVED', 'a.khan'),
  (80018, 24, '2024-02-24 15:59:44', '2024-02-24 16:12:50', 'Billing', 'CALLBACK', 'd.schmidt'),
  (80019, 8, '2024-02-26 11:14:08', '2024-02-26 11:15:49', 'Tech', 'TRANSFERRED', 'c.okafor'),
  (80020, 6, '2024-02-27 11:57:56', '2024-02-27 12:16:30', 'Sales', 'RESOLVED', 'd.schmidt'),
  (80021, 25, '2024-03-11 08:18:40', '2024-03-11 08:45:05', 'Billing', 'TRANSFERRED', 'a.khan'),
  (80022, 5, '2024-03-14 13:06:13', '2024-03-14 13:23:19', 'Billing', 'CALLBACK', 'e.rossi'),
  (80023, 5, '2024-03-20 09:36:23', '2024-03-20 09:38:46', 'Tech', 'RESOLVED', 'f.li'),
  (80024, 22, '2024-03-22 12:26:21', '2024-03-22 12:52:48', 'Retention', 'CALLBACK', 'd.schmidt'),
  (80025, 28, '2024-03-25 09:11:30', '2024-03-25 09:16:08', 'Tech', 'RESOLVED', 'b.nguyen'),
  (80026, 2, '2024-03-27 12:30:17', '2024-03-27 12:35:14', 'Tech', 'RESOLVED', 'f.li'),
  (80027, 21, '2024-03-30 18:49:52', '2024-03-30 19:19:32', 'Tech', 'RESOLVED', 'e.rossi'),
  (80028, 11, '2024-04-01 12:33:18', '2024-04-01 12:33:23', 'Sales', 'ABANDONED', NULL),
  (80029, 27, '2024-04-04 13:42:37', '2024-04-04 14:06:28', 'Tech', 'CALLBACK', 'a.khan'),
  (80030, 1, '2024-04-05 16:31:01', '2024-04-05 16:37:53', 'Tech', 'CALLBACK', 'b.nguyen'),
  (80031, 6, '2024-04-06 12:26:12', '2024-04-06 12:33:31', 'Retention', 'ESCALATED', 'b.nguyen'),
  (80032, 5, '2024-04-06 18:43:37', '2024-04-06 18:49:49', 'Billing', 'RESOLVED', 'f.li'),
  (80033, 17, '2024-04-15 16:28:50', '2024-04-15 16:30:30', 'Billing', 'ABANDONED', NULL),
  (80034, 20, '2024-04-17 18:58:29', '2024-04-17 19:02:49', 'Sales', 'RESOLVED', 'd.schmidt'),
  (80035, 12, '2024-04-22 13:21:00', '2024-04-22 13:31:25', 'Billing', 'TRANSFERRED', 'b.nguyen'),
  (80036, 13, '2024-04-26 16:00:28', '2024-04-26 16:17:21', 'Billing', 'RESOLVED', 'a.khan'),
  (80037, 14, '2024-04-30 15:52:07', '2024-04-30 16:21:32', 'Tech', 'TRANSFERRED', 'b.nguyen'),
  (80038, 16, '2024-04-30 17:28:17', '2024-04-30 17:46:39', 'Tech', 'CALLBACK', 'a.khan'),
  (80039, 10, '2024-05-02 13:28:28', '2024-05-02 13:40:44', 'Tech', 'RESOLVED', 'd.schmidt'),
  (80040, 23, '2024-05-09 11:07:26', '2024-05-09 11:14:49', 'Sales', 'CALLBACK', 'b.nguyen'),
  (80041, 6, '2024-05-10 10:01:50', '2024-05-10 10:02:58', 'Billing', 'ABANDONED', NULL),
  -- DQ: implausible duration over 9 hours (agent never hung up)
  (80042, 9, '2024-05-14 12:13:43', '2024-05-14 21:25:43', 'Tech', 'CALLBACK', 'c.okafor'),
  (80043, 11, '2024-05-18 17:52:19', '2024-05-18 17:54:37', 'Billing', 'CALLBACK', 'g.moreau'),
  (80044, 7, '2024-05-22 18:19:03', '2024-05-22 18:35:45', 'Billing', 'RESOLVED', 'g.moreau'),
  (80045, 11, '2024-05-23 17:04:52', '2024-05-23 17:10:24', 'Tech', 'CALLBACK', 'b.nguyen'),
  (80046, 12, '2024-05-24 14:19:41', '2024-05-24 14:39:06', 'Tech', 'RESOLVED', 'b.nguyen'),
  (80047, 5, '2024-05-27 12:15:44', '2024-05-27 12:20:30', 'Sales', 'RESOLVED', 'g.moreau'),
  (80048, 26, '2024-06-06 18:51:30', '2024-06-06 19:17:19', 'Tech', 'RESOLVED', 'a.khan'),
  (80049, 19, '2024-06-11 16:05:17', '2024-06-11 16:14:23', 'Tech', 'CALLBACK', 'e.rossi'),
  (80050, 1, '2024-06-13 10:33:21', '2024-06-13 10:34:11', 'Tech', 'ABANDONED', NULL),
  (80051, 6, '2024-06-19 15:35:25', '2024-06-19 15:41:24', 'Tech', 'RESOLVED', 'b.nguyen'),
  (80052, 20, '2024-06-22 08:06:59', '2024-06-22 08:16:37', 'Retention', 'CALLBACK', 'f.li'),
  (80053, 1, '2024-06-22 09:10:45', '2024-06-22 09:35:45', 'Sales', 'RESOLVED', 'e.rossi'),
  (80054, 14, '2024-06-25 13:52:55', '2024-06-25 14:15:59', 'Retention', 'RESOLVED', 'd.schmidt'),
  (80055, 25, '2024-06-25 18:30:51', '2024-06-25 18:43:38', 'Billing', 'ESCALATED', 'e.rossi'),
  (80056, 3, '2024-07-06 11:33:24', '2024-07-06 11:45:27', 'Billing', 'RESOLVED', 'g.moreau'),
  (80057, 2, '2024-07-26 13:47:19', '2024-07-26 14:00:34', 'Tech', 'RESOLVED', 'e.rossi'),
  (80058, 1, '2024-08-01 10:01:39', '2024-08-01 10:16:05', 'Tech', 'CALLBACK', 'c.okafor'),
  (80059, 17, '2024-08-05 12:45:41', '2024-08-05 12:59:38', 'Tech', 'RESOLVED', 'e.rossi'),
  (80060, 4, '2024-08-05 16:00:32', '2024-08-05 16:23:47', 'Retention', 'CALLBACK', 'a.khan'),
  (80061, 8, '2024-08-07 10:45:20', '2024-08-07 10:49:58', 'Sales', 'RESOLVED', 'b.nguyen'),
  (80062, 4, '2024-08-08 15:13:59', '2024-08-08 15:27:29', 'Billing', 'CALLBACK', 'b.nguyen'),
  (80063, 4, '2024-08-08 17:42:36', '2024-08-08 18:11:10', 'Sales', 'RESOLVED', 'c.okafor'),
  (80064, 3, '2024-08-09 18:29:30', '2024-08-09 18:47:52', 'Billing', 'RESOLVED', 'b.nguyen'),
  (80065, 15, '2024-08-12 15:04:47', '2024-08-12 15:29:45', 'Billing', 'RESOLVED', 'g.moreau'),
  (80066, 27, '2024-08-24 12:42:33', '2024-08-24 13:00:18', 'Tech', 'CALLBACK', 'a.khan'),
  (80067, 9, '2024-08-26 09:02:54', '2024-08-26 09:20:05', 'Tech', 'RESOLVED', 'b.nguyen'),
  (80068, 13, '2024-09-04 10:21:57', '2024-09-04 10:34:10', 'Retention', 'TRANSFERRED', 'a.khan'),
  (80069, 15, '2024-09-05 15:55:52', '2024-09-05 16:22:15', 'Sales', 'RESOLVED', 'g.moreau'),
  (80070, 2, '2024-09-06 12:28:05', '2024-09-06 12:38:20', 'Tech', 'CALLBACK', 'b.nguyen'),
  (80071, 4, '2024-09-06 17:14:29', '2024-09-06 17:38:27', 'Billing', 'RESOLVED', 'c.okafor'),
  (80072, 10, '2024-09-12 13:55:08', '2024-09-12 14:19:27', 'Sales', 'RESOLVED', 'a.khan'),
  (80073, 18, '2024-09-13 11:56:22', '2024-09-13 12:03:43', 'Tech', 'RESOLVED', 'g.moreau'),
  (80074, 7, '2024-09-23 18:53:50', '2024-09-23 19:21:40', 'Sales', 'RESOLVED', 'b.nguyen'),
  (80075, 11, '2024-09-26 10:36:43', '2024-09-26 10:41:19', 'Billing', 'RESOLVED', 'g.moreau'),
  (80076, 4, '2024-09-30 16:44:09', '2024-09-30 16:46:31', 'Billing', 'RESOLVED', 'g.moreau'),
  (80077, 3, '2024-10-01 11:06:27', '2024-10-01 11:33:20', 'Sales', 'RESOLVED', 'a.khan'),
  (80078, 9, '2024-10-01 12:33:03', '2024-10-01 12:49:42', 'Tech', 'TRANSFERRED', 'f.li'),
  (80079, 11, '2024-10-02 08:15:14', '2024-10-02 08:24:20', 'Tech', 'CALLBACK', 'g.moreau'),
  (80080, 6, '2024-10-03 17:28:25', '2024-10-03 17:46:13', 'Retention', 'RESOLVED', 'a.khan'),
  (80081, 24, '2024-10-07 11:23:01', '2024-10-07 11:32:10', 'Tech', 'RESOLVED', 'b.nguyen'),
  (80082, 8, '2024-10-24 15:01:26', '2024-10-24 15:07:53', 'Retention', 'CALLBACK', 'f.li'),
  (80083, 27, '2024-10-24 16:04:22', '2024-10-24 16:17:10', 'Billing', 'TRANSFERRED', 'a.khan'),
  (80084, 16, '2024-11-02 09:56:08', '2024-11-02 10:24:21', 'Retention', 'RESOLVED', 'd.schmidt'),
  (80085, 13, '2024-11-06 13:27:22', '2024-11-06 13:56:32', 'Tech', 'ESCALATED', 'a.khan'),
  (80086, 3, '2024-11-14 15:26:34', '2024-11-14 15:35:37', 'Billing', 'CALLBACK', 'g.moreau'),
  (80087, 1, '2024-11-19 11:58:28', '2024-11-19 12:09:19', 'Billing', 'RESOLVED', 'c.okafor'),
  (80088, 19, '2024-11-21 09:02:23', '2024-11-21 09:21:40', 'Tech', 'RESOLVED', 'c.okafor'),
  (80089, 15, '2024-11-26 10:59:59', '2024-11-26 11:01:31', 'Tech', 'ABANDONED', NULL),
  (80090, 16, '2024-12-02 16:50:16', '2024-12-02 17:19:21', 'Tech', 'TRANSFERRED', 'a.khan'),
  (80091, 10, '2024-12-11 15:01:21', '2024-12-11 15:25:15', 'Tech', 'RESOLVED', 'c.okafor'),
  (80092, 1, '2024-12-11 15:07:01', '2024-12-11 15:25:46', 'Billing', 'RESOLVED', 'b.nguyen'),
  (80093, 7, '2024-12-16 11:42:14', '2024-12-16 12:00:35', 'Tech', 'RESOLVED', 'a.khan'),
  -- JUNK: call of the test caller 999
  (80094, 999, '2024-01-01 00:00:01', '2024-01-01 00:00:06', 'Tech', 'RESOLVED', 'test.agent'),
  -- JUNK: call of the test caller 999
  (80095, 999, '2024-01-01 00:01:01', '2024-01-01 00:01:06', 'Tech', 'RESOLVED', 'test.agent');
