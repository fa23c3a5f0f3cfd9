package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrations returns the schema history: migration i+1 is element i. Append only; never
// edit one that has shipped, because databases in the field have already applied it.
//
// Times are BIGINT Unix milliseconds; lists are JSON text. audit_events.seq is SQLite's
// rowid alias, giving events their insertion order for the outbox FIFO (PostgreSQL would
// use an identity column).
func migrations() []string {
	return []string{
		// 1: requests, votes, audit log and its outbox.
		`CREATE TABLE requests (
		id             TEXT PRIMARY KEY,
		action         TEXT NOT NULL,
		requester      TEXT NOT NULL,
		items          TEXT NOT NULL DEFAULT '[]',
		role           TEXT NOT NULL DEFAULT '',
		org            TEXT NOT NULL DEFAULT '',
		team           TEXT NOT NULL DEFAULT '',
		reason         TEXT NOT NULL DEFAULT '',
		origin_channel TEXT NOT NULL DEFAULT '',
		state          TEXT NOT NULL,
		created_at     BIGINT NOT NULL,
		expires_at     BIGINT NOT NULL,
		decided_at     BIGINT,
		done_at        BIGINT,
		decided_by     TEXT NOT NULL DEFAULT '',
		deny_reason    TEXT NOT NULL DEFAULT '',
		card_channel   TEXT NOT NULL DEFAULT '',
		card_ts        TEXT NOT NULL DEFAULT '',
		outcomes       TEXT NOT NULL DEFAULT '[]'
	);
	CREATE INDEX requests_state_created ON requests (state, created_at);
	CREATE INDEX requests_state_expires ON requests (state, expires_at);

	CREATE TABLE votes (
		request_id TEXT NOT NULL REFERENCES requests (id),
		voter      TEXT NOT NULL,
		approve    BOOLEAN NOT NULL,
		reason     TEXT NOT NULL DEFAULT '',
		voted_at   BIGINT NOT NULL,
		PRIMARY KEY (request_id, voter)
	);

	CREATE TABLE audit_events (
		seq          INTEGER PRIMARY KEY,
		id           TEXT NOT NULL UNIQUE,
		request_id   TEXT NOT NULL DEFAULT '',
		kind         TEXT NOT NULL,
		actor        TEXT NOT NULL DEFAULT '',
		command      TEXT NOT NULL DEFAULT '',
		items        TEXT NOT NULL DEFAULT '[]',
		detail       TEXT NOT NULL DEFAULT '',
		outcome      TEXT NOT NULL DEFAULT '',
		at           BIGINT NOT NULL,
		requested_at BIGINT,
		decided_at   BIGINT,
		done_at      BIGINT
	);
	CREATE INDEX audit_events_request ON audit_events (request_id, seq);

	CREATE TABLE outbox (
		event_id        TEXT PRIMARY KEY REFERENCES audit_events (id),
		attempts        INTEGER NOT NULL DEFAULT 0,
		next_attempt_at BIGINT NOT NULL DEFAULT 0,
		delivered_at    BIGINT,
		last_error      TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX outbox_undelivered ON outbox (event_id) WHERE delivered_at IS NULL;`,

		// 2: what Slack shows. card_state is the request state the card last showed
		// successfully, notified_state the final state the requester was last told about;
		// the sweeper re-sends whatever lags behind state. Requests from before this
		// migration are taken as shown and told (we cannot know, and re-sending every old
		// DM at upgrade would be worse than the rare one that was lost).
		`ALTER TABLE requests ADD COLUMN card_state TEXT NOT NULL DEFAULT '';
	ALTER TABLE requests ADD COLUMN notified_state TEXT NOT NULL DEFAULT '';
	UPDATE requests SET card_state = state WHERE card_ts <> '';
	UPDATE requests SET notified_state = state WHERE state IN ('denied', 'expired', 'done', 'failed');`,

		// 3: backoff for the sweeper's Slack sync. sync_attempts counts the passes in a
		// row that failed to bring the request up to date in Slack; next_sync_at (Unix
		// milliseconds, 0 = now) is when the next pass may try again, so a request Slack
		// keeps refusing does not take every pass's turn from the others.
		`ALTER TABLE requests ADD COLUMN sync_attempts INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE requests ADD COLUMN next_sync_at BIGINT NOT NULL DEFAULT 0;`,

		// 4: a lease on outbox entries, so that two processes on one database (say,
		// overlapping during a rolling restart) do not both echo an event. claimed_by is
		// the owning echoer ('' = nobody), claimed_until (Unix milliseconds) when its
		// claim lapses and another echoer may take the event over.
		`ALTER TABLE outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
	ALTER TABLE outbox ADD COLUMN claimed_until BIGINT NOT NULL DEFAULT 0;`,

		// 5: posts the bot makes on its own, at most once each: scheduled usage report
		// slots and ACU-limit alerts. key is unique (the slot's time, or the org, cycle and
		// threshold of an alert), so two processes cannot both take one. state moves
		// claimed -> posting -> posted; a row left 'posting' by a crash is never posted
		// again (Slack may have it already). at is what the row is about (the slot's time).
		`CREATE TABLE posts (
		key             TEXT PRIMARY KEY,
		kind            TEXT NOT NULL,
		state           TEXT NOT NULL,
		payload         TEXT NOT NULL DEFAULT '',
		at              BIGINT NOT NULL,
		claimed_by      TEXT NOT NULL DEFAULT '',
		claimed_until   BIGINT NOT NULL DEFAULT 0,
		attempts        INTEGER NOT NULL DEFAULT 0,
		next_attempt_at BIGINT NOT NULL DEFAULT 0,
		last_error      TEXT NOT NULL DEFAULT '',
		created_at      BIGINT NOT NULL,
		posted_at       BIGINT
	);
	CREATE INDEX posts_kind_at ON posts (kind, at);
	CREATE INDEX posts_open ON posts (kind, next_attempt_at) WHERE state = 'claimed';`,

		// 6: an action's own parameters (JSON object) and the plan the check before
		// submission found (JSON list of lines), for the organization, permission and
		// offboarding requests.
		`ALTER TABLE requests ADD COLUMN params TEXT NOT NULL DEFAULT '{}';
	ALTER TABLE requests ADD COLUMN plan TEXT NOT NULL DEFAULT '[]';`,

		// 7: grants, the access a time-boxed request gave, one row per item that
		// changed. state moves active -> revoking -> revoked|failed, or active -> ended;
		// a revoking row is held by claimed_by until claimed_until, after which another
		// process may take it over (its holder crashed mid-revocation).
		`CREATE TABLE grants (
		id              TEXT PRIMARY KEY,
		request_id      TEXT NOT NULL REFERENCES requests (id),
		action          TEXT NOT NULL,
		item            TEXT NOT NULL,
		team            TEXT NOT NULL DEFAULT '',
		role            TEXT NOT NULL DEFAULT '',
		org             TEXT NOT NULL DEFAULT '',
		requester       TEXT NOT NULL,
		duration_ms     BIGINT NOT NULL,
		started_at      BIGINT NOT NULL,
		ends_at         BIGINT NOT NULL,
		remind_at       BIGINT NOT NULL,
		reminded        BOOLEAN NOT NULL DEFAULT FALSE,
		extension_id    TEXT NOT NULL DEFAULT '',
		state           TEXT NOT NULL,
		outcome         TEXT NOT NULL DEFAULT '',
		done_at         BIGINT,
		attempts        INTEGER NOT NULL DEFAULT 0,
		next_attempt_at BIGINT NOT NULL DEFAULT 0,
		claimed_by      TEXT NOT NULL DEFAULT '',
		claimed_until   BIGINT NOT NULL DEFAULT 0,
		card_channel    TEXT NOT NULL DEFAULT '',
		card_ts         TEXT NOT NULL DEFAULT '',
		notified        BOOLEAN NOT NULL DEFAULT FALSE
	);
	CREATE INDEX grants_state_ends ON grants (state, ends_at);`,

		// 8: the execution lease. exec_owner is the process executing the request
		// ('' = none), lease_until (Unix milliseconds) when its hold lapses unless
		// renewed; another process takes an executing request over only after that.
		// Requests left executing before this migration have lease_until 0: lapsed, so
		// the first process after the upgrade resumes them, as a restart did before.
		`ALTER TABLE requests ADD COLUMN exec_owner TEXT NOT NULL DEFAULT '';
	ALTER TABLE requests ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;`,
	}
}

// migrate applies the migrations the database has not seen, each in its own transaction
// together with its schema_migrations row, so a crash mid-way leaves a consistent
// version and two processes starting at once apply each migration exactly once (the
// version is re-checked under the write lock).
func migrate(ctx context.Context, db *sql.DB, migrations []string, now func() time.Time) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var current int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: read version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("migrate: database schema version %d is newer than this binary knows (%d); upgrade the bot", current, len(migrations))
	}
	for i := current; i < len(migrations); i++ {
		version := i + 1
		if err := applyMigration(ctx, db, version, migrations[i], now()); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, version int, stmt string, now time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate %d: begin: %w", version, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	var applied int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&applied); err != nil {
		return fmt.Errorf("migrate %d: %w", version, err)
	}
	if applied > 0 {
		return nil // another process got here first
	}
	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("migrate %d: %w", version, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, now.UnixMilli()); err != nil {
		return fmt.Errorf("migrate %d: record version: %w", version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate %d: commit: %w", version, err)
	}
	return nil
}
