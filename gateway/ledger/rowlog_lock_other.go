//go:build !unix

package ledger

import (
	"errors"
	"os"
)

// lockFile has no lock to take here: the ledger commits each group
// straight to the database, without a row log.
func lockFile(string) (*os.File, error) {
	return nil, errors.New("no row log on this platform")
}
