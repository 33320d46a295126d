"""The schema, as a list of migrations applied in order (`PRAGMA user_version` counts them)."""

from __future__ import annotations

from collections.abc import Sequence

MIGRATIONS: Sequence[str] = (
    # 1: the first schema
    """
    CREATE TABLE halls (
        id INTEGER PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        config_toml TEXT NOT NULL,
        revision INTEGER NOT NULL DEFAULT 1,
        last_seq INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE windows (
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        number INTEGER NOT NULL,
        name TEXT NOT NULL,
        zone TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'closed',
        clerk_id INTEGER REFERENCES users(id),
        ticket_id INTEGER REFERENCES tickets(id),
        updated_at TEXT,
        PRIMARY KEY (hall_id, number)
    );
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY,
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        service_day TEXT NOT NULL,
        origin_queue TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        number TEXT NOT NULL,
        queue TEXT NOT NULL,
        item TEXT,
        bundle TEXT,
        priority TEXT,
        id_digest TEXT,
        appointment TEXT,
        channel TEXT NOT NULL,
        status TEXT NOT NULL,
        place REAL NOT NULL,
        window INTEGER,
        target_window INTEGER,
        issued_at TEXT NOT NULL,
        called_at TEXT,
        started_at TEXT,
        finished_at TEXT,
        suspended_at TEXT,
        suspended_seconds REAL NOT NULL DEFAULT 0,
        calls INTEGER NOT NULL DEFAULT 0,
        no_shows INTEGER NOT NULL DEFAULT 0,
        outcome TEXT,
        clerk_id INTEGER REFERENCES users(id)
    );
    CREATE UNIQUE INDEX tickets_number_per_day ON tickets(hall_id, origin_queue, service_day, sequence);
    CREATE UNIQUE INDEX tickets_one_waiting_per_id ON tickets(hall_id, queue, id_digest)
        WHERE status = 'waiting' AND id_digest IS NOT NULL;
    CREATE INDEX tickets_line ON tickets(hall_id, service_day, status, queue, place);
    CREATE INDEX tickets_by_number ON tickets(hall_id, service_day, number);
    CREATE TABLE queue_days (
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        queue TEXT NOT NULL,
        service_day TEXT NOT NULL,
        issued INTEGER NOT NULL DEFAULT 0,
        priority_streak INTEGER NOT NULL DEFAULT 0,
        served INTEGER NOT NULL DEFAULT 0,
        handling_seconds REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (hall_id, queue, service_day)
    );
    CREATE TABLE events (
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        type TEXT NOT NULL,
        ticket_id INTEGER REFERENCES tickets(id),
        window INTEGER,
        clerk_id INTEGER,
        reason TEXT,
        data TEXT NOT NULL,
        PRIMARY KEY (hall_id, seq)
    );
    CREATE INDEX events_by_ticket ON events(ticket_id);
    CREATE TABLE idempotency_keys (
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        created_at TEXT NOT NULL,
        PRIMARY KEY (hall_id, key)
    );
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL,
        hall_id INTEGER REFERENCES halls(id),
        staff_number TEXT,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL
    );
    CREATE TABLE devices (
        id INTEGER PRIMARY KEY,
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        kind TEXT NOT NULL,
        window INTEGER,
        name TEXT NOT NULL,
        token_digest TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE attendance (
        id INTEGER PRIMARY KEY,
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        window INTEGER NOT NULL,
        user_id INTEGER NOT NULL REFERENCES users(id),
        opened_at TEXT NOT NULL,
        closed_at TEXT
    );
    """,
    # 2: screens: per-device settings and presence; a notice the manager edits
    """
    ALTER TABLE devices ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE devices ADD COLUMN last_seen_at TEXT;
    ALTER TABLE devices ADD COLUMN last_shown_seq INTEGER;
    ALTER TABLE halls ADD COLUMN notice TEXT;
    """,
    # 3: the typed lifecycle. Tickets get exact places (text keys, no float epsilons),
    # handling time summed across windows, the first and latest call, the item codes
    # served, and a channel decided by who issued them; numbers are counted per prefix so
    # no queue rename reuses one; every stay at a window is a visit; halls know their open
    # service day and a hall file waiting for the next; events record the device and
    # whether another process's write still has to reach the screens.
    """
    CREATE TABLE tickets_v3 (
        id INTEGER PRIMARY KEY,
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        service_day TEXT NOT NULL,
        number TEXT NOT NULL,
        queue TEXT NOT NULL,
        origin_queue TEXT NOT NULL,
        item TEXT,
        bundle TEXT,
        items TEXT NOT NULL DEFAULT '[]',
        priority TEXT,
        id_digest TEXT,
        appointment TEXT,
        channel TEXT NOT NULL,
        status TEXT NOT NULL,
        place TEXT NOT NULL,
        window INTEGER,
        target_window INTEGER,
        clerk_id INTEGER REFERENCES users(id),
        issued_at TEXT NOT NULL,
        first_called_at TEXT,
        called_at TEXT,
        started_at TEXT,
        suspended_at TEXT,
        finished_at TEXT,
        handling_seconds REAL NOT NULL DEFAULT 0,
        suspended_seconds REAL NOT NULL DEFAULT 0,
        calls INTEGER NOT NULL DEFAULT 0,
        no_shows INTEGER NOT NULL DEFAULT 0,
        outcome TEXT
    );
    INSERT INTO tickets_v3 (
        id, hall_id, service_day, number, queue, origin_queue, item, bundle, items, priority, id_digest,
        appointment, channel, status, place, window, target_window, clerk_id, issued_at, first_called_at,
        called_at, started_at, suspended_at, finished_at, handling_seconds, suspended_seconds, calls, no_shows,
        outcome)
    SELECT id, hall_id, service_day, number, queue, origin_queue, item, bundle,
           CASE WHEN item IS NOT NULL THEN json_array(item) ELSE '[]' END,
           priority, id_digest, appointment, CASE channel WHEN 'kiosk' THEN 'kiosk' ELSE 'desk' END, status,
           printf('%016d%012d', CAST(round(place * 1000000) AS INTEGER), id),
           CASE WHEN status = 'waiting' THEN NULL ELSE window END, target_window, clerk_id, issued_at,
           called_at, called_at, CASE WHEN status = 'serving' THEN started_at END, suspended_at, finished_at,
           CASE WHEN status = 'done' AND started_at IS NOT NULL AND finished_at IS NOT NULL
                THEN max(0, (julianday(finished_at) - julianday(started_at)) * 86400 - suspended_seconds)
                ELSE 0 END,
           suspended_seconds, calls, no_shows, outcome
    FROM tickets;
    DROP TABLE tickets;
    ALTER TABLE tickets_v3 RENAME TO tickets;
    CREATE UNIQUE INDEX tickets_number_per_day ON tickets(hall_id, service_day, number);
    CREATE UNIQUE INDEX tickets_one_open_per_id ON tickets(hall_id, queue, id_digest)
        WHERE status IN ('waiting', 'called', 'serving', 'suspended') AND id_digest IS NOT NULL;
    CREATE INDEX tickets_line ON tickets(hall_id, status, queue, place);
    CREATE INDEX tickets_by_day ON tickets(hall_id, service_day, number);

    CREATE TABLE number_counters (
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        service_day TEXT NOT NULL,
        prefix TEXT NOT NULL,
        issued INTEGER NOT NULL,
        PRIMARY KEY (hall_id, service_day, prefix)
    );
    INSERT INTO number_counters (hall_id, service_day, prefix, issued)
        SELECT hall_id, service_day, substr(number, 1, 1), max(CAST(substr(number, 2) AS INTEGER))
        FROM tickets GROUP BY hall_id, service_day, substr(number, 1, 1);

    CREATE TABLE visits (
        id INTEGER PRIMARY KEY,
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        window INTEGER NOT NULL,
        clerk_id INTEGER REFERENCES users(id),
        device_id INTEGER REFERENCES devices(id),
        called_at TEXT,
        call_seq INTEGER,
        calls INTEGER NOT NULL DEFAULT 0,
        started_at TEXT,
        ended_at TEXT,
        ending TEXT,
        handling_seconds REAL NOT NULL DEFAULT 0
    );
    CREATE INDEX visits_by_ticket ON visits(ticket_id);
    CREATE UNIQUE INDEX visits_one_open_per_ticket ON visits(ticket_id) WHERE ended_at IS NULL;
    INSERT INTO visits (ticket_id, hall_id, window, clerk_id, called_at, call_seq, calls, started_at, ended_at,
                        ending, handling_seconds)
        SELECT t.id, t.hall_id, t.window, t.clerk_id, t.called_at,
               (SELECT max(e.seq) FROM events e WHERE e.hall_id = t.hall_id AND e.ticket_id = t.id
                   AND e.type IN ('ticket_called', 'ticket_recalled')),
               max(t.calls, 1), t.started_at,
               CASE WHEN t.status IN ('called', 'serving') THEN NULL ELSE coalesce(t.finished_at, t.called_at) END,
               CASE t.status WHEN 'done' THEN 'finished' WHEN 'no_show' THEN 'no_show'
                    WHEN 'called' THEN NULL WHEN 'serving' THEN NULL ELSE 'expired' END,
               t.handling_seconds
        FROM tickets t WHERE t.called_at IS NOT NULL AND t.window IS NOT NULL;

    UPDATE windows SET ticket_id = NULL
        WHERE ticket_id IS NOT NULL
          AND ticket_id NOT IN (SELECT id FROM tickets WHERE status IN ('called', 'serving'));

    ALTER TABLE halls ADD COLUMN service_day TEXT;
    ALTER TABLE halls ADD COLUMN pending_config_toml TEXT;
    ALTER TABLE halls ADD COLUMN pending_from TEXT;
    ALTER TABLE events ADD COLUMN device_id INTEGER;
    ALTER TABLE events ADD COLUMN relay INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX events_to_relay ON events(hall_id, seq) WHERE relay = 1;
    -- fingerprints were unkeyed hashes of the ID number: none is kept
    DELETE FROM idempotency_keys;
    CREATE INDEX idempotency_by_age ON idempotency_keys(created_at);
    """,
    # 4: sign-ins. A session per sign-in, found by the SHA-256 of the random token in the
    # signed cookie, ended on the server by sign-out or a change to the account; failed
    # sign-ins counted per user name and per client address; and one counter that every
    # ended session or revoked device token moves on, which each server's timer watches
    # to close the open links that lost their credential.
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        token_digest TEXT NOT NULL UNIQUE,
        user_id INTEGER NOT NULL REFERENCES users(id),
        address TEXT,
        created_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        revoked_at TEXT,
        revoked_reason TEXT
    );
    CREATE INDEX sessions_open_of_user ON sessions(user_id) WHERE revoked_at IS NULL;
    CREATE INDEX sessions_by_age ON sessions(created_at);
    CREATE TABLE login_failures (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        failures INTEGER NOT NULL,
        last_failure_at TEXT NOT NULL,
        locked_until TEXT,
        PRIMARY KEY (scope, key)
    );
    CREATE INDEX login_failures_by_age ON login_failures(last_failure_at);
    CREATE TABLE credential_changes (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        serial INTEGER NOT NULL
    );
    INSERT INTO credential_changes (id, serial) VALUES (1, 0);
    """,
    # 5: privacy. Every ticket gets a public reference, random and unique: what a citizen's
    # QR code and every public device name it by, where the counting id would let anyone
    # guess the next one. Tickets issued before get one here. A trigger refuses a ticket
    # without one, and any change to one.
    """
    ALTER TABLE tickets ADD COLUMN ref TEXT;
    UPDATE tickets SET ref = lower(hex(randomblob(16)));
    CREATE UNIQUE INDEX tickets_by_ref ON tickets(ref);
    CREATE TRIGGER tickets_ref_required BEFORE INSERT ON tickets
        WHEN NEW.ref IS NULL OR length(NEW.ref) < 16
        BEGIN SELECT RAISE(ABORT, 'every ticket needs a public reference of at least 16 characters'); END;
    CREATE TRIGGER tickets_ref_fixed BEFORE UPDATE OF ref ON tickets
        WHEN NEW.ref IS NOT OLD.ref
        BEGIN SELECT RAISE(ABORT, 'a public reference never changes'); END;
    """,
    # 6: the audit log of administrators' and managers' actions (domain.audit), written in
    # the transaction of each action. Append-only: triggers refuse any change or removal,
    # so that no code path (and no mistaken maintenance query) can rewrite what was done.
    # Newest first by id, filtered by time, hall or actor.
    """
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        actor_role TEXT,
        action TEXT NOT NULL,
        hall TEXT,
        target TEXT,
        detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX audit_log_by_time ON audit_log(at);
    CREATE INDEX audit_log_by_hall ON audit_log(hall, id);
    CREATE INDEX audit_log_by_actor ON audit_log(actor, id);
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: entries are never changed'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: entries are never removed'); END;
    """,
    # 7: appointments (预约), pushed by the city's booking platform, unique per hall by its
    # booking reference. The citizen's ID number is never kept, only its keyed hash; the
    # slot's start is kept as the local time booked and as the instant it was then, which
    # the check-in window and voiding count from. A checked-in appointment names its
    # ticket, and no ticket belongs to two appointments.
    """
    CREATE TABLE appointments (
        id INTEGER PRIMARY KEY,
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        reference TEXT NOT NULL,
        service_day TEXT NOT NULL,
        slot_start TEXT NOT NULL,
        slot_end TEXT NOT NULL,
        slot_start_at TEXT NOT NULL,
        queue TEXT NOT NULL,
        item TEXT,
        bundle TEXT,
        citizen_ref TEXT,
        id_digest TEXT,
        status TEXT NOT NULL CHECK (status IN ('booked', 'checked_in', 'void', 'cancelled')),
        ticket_id INTEGER REFERENCES tickets(id),
        late INTEGER NOT NULL DEFAULT 0,
        booked_at TEXT NOT NULL,
        booked_by_user INTEGER REFERENCES users(id),
        booked_by_device INTEGER REFERENCES devices(id),
        checked_in_at TEXT,
        closed_at TEXT,
        closed_by_user INTEGER REFERENCES users(id),
        closed_by_device INTEGER REFERENCES devices(id),
        reason TEXT,
        CHECK ((status = 'checked_in') = (ticket_id IS NOT NULL))
    );
    CREATE UNIQUE INDEX appointments_reference ON appointments(hall_id, reference);
    CREATE UNIQUE INDEX appointments_one_per_ticket ON appointments(ticket_id) WHERE ticket_id IS NOT NULL;
    CREATE INDEX appointments_by_day ON appointments(hall_id, service_day, slot_start);
    CREATE INDEX appointments_booked ON appointments(hall_id, slot_start_at) WHERE status = 'booked';
    """,
    # 8: printing. A printer device serves one station (a desk or a kiosk), a kiosk is
    # bound to one; the printer's last reported state is kept on its device. A print job
    # is written in the issuing transaction (or by a reprint) and follows its state from
    # queued to the agent's result; `revision` moves on with every change, so a page that
    # hears of a job twice keeps the newer view.
    """
    ALTER TABLE devices ADD COLUMN station TEXT;
    ALTER TABLE devices ADD COLUMN printer_state TEXT;
    ALTER TABLE devices ADD COLUMN printer_message TEXT;
    ALTER TABLE devices ADD COLUMN printer_state_at TEXT;
    CREATE UNIQUE INDEX devices_one_printer_per_station ON devices(hall_id, station)
        WHERE kind = 'printer' AND revoked_at IS NULL;
    CREATE TABLE print_jobs (
        id INTEGER PRIMARY KEY,
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        printer_id INTEGER NOT NULL REFERENCES devices(id),
        station TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        revision INTEGER NOT NULL DEFAULT 1,
        message TEXT,
        reprint_of INTEGER REFERENCES print_jobs(id),
        requested_by_user INTEGER REFERENCES users(id),
        requested_by_device INTEGER REFERENCES devices(id),
        created_at TEXT NOT NULL,
        sent_at TEXT,
        finished_at TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX print_jobs_due ON print_jobs(printer_id, id) WHERE state IN ('queued', 'sent');
    CREATE INDEX print_jobs_queued ON print_jobs(created_at) WHERE state = 'queued';
    CREATE INDEX print_jobs_by_ticket ON print_jobs(ticket_id, id);
    CREATE INDEX print_jobs_of_hall ON print_jobs(hall_id, id);
    """,
    # 9: window commands sent with an Idempotency-Key (the clerk's console retries after a
    # network blink): the key, what it was sent with, and when; a repeat is answered
    # without running the command again. Kept as long as ticket keys (IDEMPOTENCY_DAYS).
    """
    CREATE TABLE command_keys (
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        command TEXT NOT NULL,
        window INTEGER,
        created_at TEXT NOT NULL,
        PRIMARY KEY (hall_id, key)
    );
    CREATE INDEX command_keys_by_age ON command_keys(created_at);
    """,
    # 10: ratings (好差评). One rating per ticket, whoever gave it first (the window's review
    # pad, the citizen's phone, or the system's default after the hall's days), with
    # everything of the record the 好差评 feed sends kept as it was when it was given:
    # the level by name, the reasons as a JSON list, the ticket's times, its wait and
    # handling seconds, its window, the clerk and the clerk's staff number. Never changed
    # nor removed (triggers). Every ticket finished at a window gets an invitation: open on
    # the window's review pad until rated, timed out or the window's next call (at most
    # one open per window), and until a rating exists the row the system's default is
    # looked for by (`rating_invitations_unrated`).
    """
    CREATE TABLE ratings (
        id INTEGER PRIMARY KEY,
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        ticket_id INTEGER NOT NULL UNIQUE REFERENCES tickets(id),
        service_day TEXT NOT NULL,
        queue TEXT NOT NULL,
        items TEXT NOT NULL DEFAULT '[]',
        window INTEGER NOT NULL,
        clerk_id INTEGER REFERENCES users(id),
        clerk_number TEXT,
        channel TEXT NOT NULL CHECK (channel IN ('pad', 'phone', 'system_default')),
        level TEXT NOT NULL CHECK (level IN ('very_satisfied', 'satisfied', 'basic', 'dissatisfied',
                                             'very_dissatisfied')),
        reasons TEXT NOT NULL DEFAULT '[]',
        text TEXT,
        system_default INTEGER NOT NULL DEFAULT 0,
        device_id INTEGER REFERENCES devices(id),
        issued_at TEXT NOT NULL,
        called_at TEXT,
        started_at TEXT,
        finished_at TEXT NOT NULL,
        rated_at TEXT NOT NULL,
        wait_seconds INTEGER NOT NULL,
        handling_seconds INTEGER NOT NULL,
        CHECK ((channel = 'system_default') = (system_default = 1)),
        CHECK (text IS NULL OR length(text) <= 500)
    );
    CREATE INDEX ratings_of_hall ON ratings(hall_id, id);
    CREATE INDEX ratings_by_day ON ratings(hall_id, service_day, id);
    CREATE TRIGGER ratings_no_update BEFORE UPDATE ON ratings
        BEGIN SELECT RAISE(ABORT, 'a rating is never changed'); END;
    CREATE TRIGGER ratings_no_delete BEFORE DELETE ON ratings
        BEGIN SELECT RAISE(ABORT, 'a rating is never removed'); END;
    CREATE TABLE rating_invitations (
        id INTEGER PRIMARY KEY,
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        ticket_id INTEGER NOT NULL UNIQUE REFERENCES tickets(id),
        window INTEGER NOT NULL,
        opened_at TEXT NOT NULL,
        closes_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        closed_at TEXT,
        closed_reason TEXT CHECK (closed_reason IN ('rated', 'timeout', 'next_call')),
        rating_id INTEGER REFERENCES ratings(id),
        CHECK ((closed_at IS NULL) = (closed_reason IS NULL))
    );
    CREATE UNIQUE INDEX rating_invitations_one_open_per_window ON rating_invitations(hall_id, window)
        WHERE closed_at IS NULL;
    CREATE INDEX rating_invitations_open ON rating_invitations(closes_at) WHERE closed_at IS NULL;
    CREATE INDEX rating_invitations_unrated ON rating_invitations(finished_at) WHERE rating_id IS NULL;
    """,
    # 11: the outbox feeding the external 好差评 platform (docs/review-feed.md). A row is
    # written in the transaction of what it reports (a rating), under that record's
    # idempotency id (`key`, never reused), with the platform's body built then and never
    # changed. It stays `pending` until the platform answers 2xx (`delivered`) or refuses
    # it for good (`dead`, with the answer); a sender claims due rows for a short lease
    # (`claimed_by`, `claimed_until`) so that of several server processes one sends each.
    """
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        hall TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        claimed_by TEXT,
        claimed_until TEXT,
        last_attempt_at TEXT,
        last_status INTEGER,
        last_error TEXT,
        last_answer TEXT,
        failed_at TEXT,
        created_at TEXT NOT NULL,
        delivered_at TEXT,
        CHECK ((state = 'delivered') = (delivered_at IS NOT NULL))
    );
    CREATE INDEX outbox_due ON outbox(next_attempt_at, id) WHERE state = 'pending';
    CREATE INDEX outbox_by_state ON outbox(hall, state);
    CREATE INDEX outbox_dead ON outbox(hall, id) WHERE state = 'dead';
    CREATE INDEX outbox_delivered ON outbox(delivered_at) WHERE delivered_at IS NOT NULL;
    CREATE INDEX outbox_failures ON outbox(failed_at) WHERE failed_at IS NOT NULL;
    CREATE TRIGGER outbox_payload_fixed BEFORE UPDATE OF key, payload, hall, kind ON outbox
        WHEN NEW.key IS NOT OLD.key OR NEW.payload IS NOT OLD.payload
          OR NEW.hall IS NOT OLD.hall OR NEW.kind IS NOT OLD.kind
        BEGIN SELECT RAISE(ABORT, 'an outbox row sends what was written: its key and body never change'); END;
    """,
    # 12: 差评整改. Every 差评 a citizen gives opens one case (`rating_id` UNIQUE) in the
    # rating's transaction, with its deadlines as they were computed then (the callback's
    # when the reply came); the managers' records fill in, in order, and `state` follows
    # them. Who recorded what and when is the audit log's (actions `review_case_*`, target
    # the case id), read back per case through `audit_log_by_target`.
    """
    CREATE TABLE review_cases (
        id INTEGER PRIMARY KEY,
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        rating_id INTEGER NOT NULL UNIQUE REFERENCES ratings(id),
        opened_at TEXT NOT NULL,
        contact_due TEXT NOT NULL,
        fix_due TEXT NOT NULL,
        confirm_due TEXT,
        state TEXT NOT NULL CHECK (state IN ('open', 'contacted', 'replied', 'confirmed', 'closed')),
        contacted_at TEXT,
        contact_note TEXT,
        replied_at TEXT,
        reply TEXT,
        fix TEXT,
        confirmed_at TEXT,
        satisfied INTEGER CHECK (satisfied IN (0, 1)),
        appeal_state TEXT CHECK (appeal_state IN ('pending', 'upheld', 'rejected')),
        appealed_at TEXT,
        appeal_reason TEXT,
        appeal_decided_at TEXT,
        appeal_note TEXT,
        closed_at TEXT,
        close_note TEXT,
        CHECK ((state = 'closed') = (closed_at IS NOT NULL)),
        CHECK ((replied_at IS NULL) = (confirm_due IS NULL)),
        CHECK ((confirmed_at IS NULL) = (satisfied IS NULL)),
        CHECK ((appeal_state IS NULL) = (appealed_at IS NULL))
    );
    CREATE INDEX review_cases_of_hall ON review_cases(hall_id, opened_at);
    CREATE INDEX review_cases_open ON review_cases(hall_id, state) WHERE state != 'closed';
    CREATE TRIGGER review_cases_no_delete BEFORE DELETE ON review_cases
        BEGIN SELECT RAISE(ABORT, 'a review case is never removed'); END;
    CREATE INDEX audit_log_by_target ON audit_log(hall, target, id);
    """,
    # 13: alerts for the managers (domain.alerts). The server's timer raises one when a
    # threshold of the hall file is passed and clears it (`cleared_at`, never a delete) when
    # the condition ends; a manager acknowledges it. At most one open alert per (hall,
    # kind, subject), held by the database: several server processes run the timer, and
    # each alert is raised once.
    """
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        hall_id INTEGER NOT NULL REFERENCES halls(id),
        kind TEXT NOT NULL CHECK (kind IN ('long_wait', 'many_waiting', 'window_paused', 'device_offline')),
        subject TEXT NOT NULL,
        detail TEXT NOT NULL,
        threshold INTEGER NOT NULL,
        value INTEGER NOT NULL,
        raised_at TEXT NOT NULL,
        cleared_at TEXT,
        acknowledged_by INTEGER REFERENCES users(id),
        acknowledged_at TEXT,
        CHECK ((acknowledged_by IS NULL) = (acknowledged_at IS NULL))
    );
    CREATE UNIQUE INDEX alerts_one_open ON alerts(hall_id, kind, subject) WHERE cleared_at IS NULL;
    CREATE INDEX alerts_of_hall ON alerts(hall_id, raised_at);
    CREATE TRIGGER alerts_no_delete BEFORE DELETE ON alerts
        BEGIN SELECT RAISE(ABORT, 'an alert is never removed: it is cleared'); END;
    """,
    # 14: reports (docs/reports.md). A month of a big hall is read by service day
    # (`tickets_by_day`, there), its visits by ticket (`visits_by_ticket`, there), its
    # clerks' sign-ins by time and the windows' own steps and the transfers by time:
    # partial, so that the calls' and issues' events, most of the log, pay nothing for them
    # (a query uses one when its WHERE has the index's own terms: `storage.reports`).
    """
    CREATE INDEX attendance_by_time ON attendance(hall_id, opened_at);
    CREATE INDEX events_window_steps ON events(hall_id, at)
        WHERE type IN ('window_opened', 'window_paused', 'window_resumed', 'window_closed', 'window_released');
    CREATE INDEX events_transfers ON events(hall_id, at) WHERE type = 'ticket_transferred';
    """,
    # 15: the catalogue's search keys (pinyin initials and full pinyin) of every name a
    # hall file has brought, computed by the process that imported the file: pypinyin's
    # dictionary costs a process about 55 MiB, and a server need never load it
    # (`services.catalogue`, `domain.search_keys`).
    """
    CREATE TABLE search_keys (
        name TEXT PRIMARY KEY,
        initials TEXT NOT NULL,
        pinyin TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
)

# Migrations that rebuild a table: run with foreign keys off (SQLite's documented way),
# then checked with `PRAGMA foreign_key_check` before they commit.
REBUILDS = frozenset({3})
