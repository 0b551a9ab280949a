package app

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/urfave/cli/v2"
)

// backupCommand is `aperture backup [--state-dir DIR] OUT`: an online
// copy of the ledger, safe while the gateway runs.
func backupCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:      "backup",
		Usage:     "copy the database (requests, captures, balances, config history) to OUT, consistently, while the gateway runs",
		ArgsUsage: "OUT",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "state-dir", Usage: "the gateway's state `DIR` (default: as a run would pick)"},
			databaseFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageError("backup needs one OUT file, e.g. aperture backup --state-dir /var/lib/aperture aperture-$(date +%%F).db")
			}
			dir, err := resolveStateDir(c.String("state-dir"))
			if err != nil {
				return err
			}
			return backup(c, dir, c.Args().First(), stdout)
		},
	}
}

// backup copies <dir>/aperture.db to out and says what else a restore
// needs, which is plain files.
func backup(c *cli.Context, dir, out string, stdout io.Writer) error {
	// The service's database may be set only in the state directory's
	// environment file (install --database): read it as run does, or a
	// PostgreSQL ledger would be "no ledger database at …/aperture.db".
	if err := loadEnvFile(dir, func(string, ...any) {}); err != nil {
		return cli.Exit("aperture: "+err.Error(), 1)
	}
	src := databaseTarget(c.String("database"), dir) // a postgres:// URL is refused, naming pg_dump
	info, err := ledger.Backup(c.Context, src, out)
	if err != nil {
		return cli.Exit("aperture: "+err.Error(), 1)
	}
	fmt.Fprintf(stdout, "backed up %s to %s: schema version %d, %d requests, %d captures, %.1f MiB\n",
		src, info.Path, info.SchemaVersion, info.Requests, info.Captures, float64(info.Bytes)/(1<<20))
	fmt.Fprintf(stdout, "it holds captured prompts and answers and the config history (literal keys too): keep it as private as %s\n", dir)
	fmt.Fprintf(stdout, "to restore this same device, keep %s and %s as well (plain files: copy them)\n",
		filepath.Join(dir, "config.hujson"), filepath.Join(dir, "tailnet")+string(filepath.Separator))
	return nil
}
