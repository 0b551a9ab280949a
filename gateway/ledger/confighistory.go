package ledger

import (
	"context"
	"fmt"
	"time"
)

// ConfigVersion is one saved configuration.
type ConfigVersion struct {
	Seq    int64     `json:"seq"`
	Time   time.Time `json:"time"`
	Hash   string    `json:"hash"`
	Author string    `json:"author"` // principal who saved it
	Config string    `json:"config"` // the HuJSON text as saved
}

// RecordConfig appends a saved configuration to the history.
func (l *Ledger) RecordConfig(ctx context.Context, hash, author, text string) error {
	if _, err := l.db.ExecContext(ctx, `INSERT INTO config_history (time, hash, author, config) VALUES (?, ?, ?, ?)`,
		l.now().UnixNano(), hash, author, text); err != nil {
		return fmt.Errorf("record config %s: %w", hash, err)
	}
	return nil
}

// ConfigHistory returns the last limit saved configurations, newest
// first (limit 0 = DefaultLimit, capped at MaxLimit).
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
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("config history: %w", err)
	}
	return out, nil
}
