package ledger

import (
	"context"
	"fmt"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
)

// ConfigVersion is one saved configuration.
type ConfigVersion struct {
	Seq    int64     `json:"seq"`
	Time   time.Time `json:"time"`
	Hash   string    `json:"hash"`   // of the text as saved, secrets included, as the config API reports it
	Author string    `json:"author"` // principal who saved it
	// Config is the HuJSON text as saved with its secrets masked (keys,
	// add_headers values, credentials in URLs; see config.MaskSecrets).
	// Restoring it means saving it through the config API, which puts
	// back a mask's stored secret from the running config only where it
	// still goes to the same server, and asks for it otherwise.
	Config string `json:"config"`
}

// unmaskableConfig is stored instead of a text that does not parse,
// whose secrets cannot be found to be masked.
const unmaskableConfig = "// not kept: this text does not parse, so its secrets could not be masked\n"

// historyText is text as the history keeps it: secrets masked. The
// history is read by every admin and copied with the database, and a
// provider key must not outlive its rotation there.
func historyText(text string) string {
	masked, err := config.MaskSecrets([]byte(text))
	if err != nil {
		return unmaskableConfig
	}
	return string(masked)
}

// RecordConfig appends a saved configuration to the history, its secrets
// masked, and masks any version an older gateway stored in clear.
func (l *Ledger) RecordConfig(ctx context.Context, hash, author, text string) error {
	if _, err := l.db.ExecContext(ctx, `INSERT INTO config_history (time, hash, author, config) VALUES (?, ?, ?, ?)`,
		l.now().UnixNano(), hash, author, historyText(text)); err != nil {
		return fmt.Errorf("record config %s: %w", hash, err)
	}
	return l.maskConfigHistory(ctx)
}

// maskConfigHistory rewrites the versions still holding a secret in
// clear (stored before the history masked them). The history has one
// row per save, so reading it all is cheap.
func (l *Ledger) maskConfigHistory(ctx context.Context) error {
	rows, err := l.db.QueryContext(ctx, `SELECT seq, config FROM config_history`)
	if err != nil {
		return fmt.Errorf("masking config history: %w", err)
	}
	inClear := map[int64]string{}
	for rows.Next() {
		var seq int64
		var text string
		if err := rows.Scan(&seq, &text); err != nil {
			rows.Close()
			return fmt.Errorf("masking config history: %w", err)
		}
		if m := historyText(text); m != text {
			inClear[seq] = m
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("masking config history: %w", err)
	}
	for seq, masked := range inClear {
		if _, err := l.db.ExecContext(ctx, `UPDATE config_history SET config = ? WHERE seq = ?`, masked, seq); err != nil {
			return fmt.Errorf("masking config history version %d: %w", seq, err)
		}
	}
	return nil
}

// ConfigHistory returns the last limit saved configurations, newest
// first (limit 0 = DefaultLimit, capped at MaxLimit), secrets masked
// (also in versions stored in clear before the history masked them).
func (l *Ledger) ConfigHistory(ctx context.Context, limit int) ([]ConfigVersion, error) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	rows, err := l.db.QueryContext(ctx, `SELECT seq, time, hash, author, config FROM config_history
		ORDER BY seq DESC LIMIT ?`, min(limit, MaxLimit))
	if err != nil {
		return nil, fmt.Errorf("config history: %w", err)
	}
	defer rows.Close()
	out := []ConfigVersion{}
	for rows.Next() {
		var v ConfigVersion
		var t int64
		if err := rows.Scan(&v.Seq, &t, &v.Hash, &v.Author, &v.Config); err != nil {
			return nil, fmt.Errorf("config history: %w", err)
		}
		v.Time = time.Unix(0, t).UTC()
		v.Config = historyText(v.Config)
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("config history: %w", err)
	}
	return out, nil
}
