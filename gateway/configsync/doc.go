// Package configsync shares one configuration between gateway replicas
// through PostgreSQL.
//
// The config lives in a versioned table (aperture_config): a save inserts
// a version and, in the same transaction, sends NOTIFY on the channel
// aperture_config, so a replica hears of it only once it is committed.
// Every replica LISTENs on its own connection, looks for a newer version
// whenever that connection is (re)established (notifications sent while it
// was down are lost, so this is the backlog), and also every 30 s as a
// safety net. A newer version is handed to the gateway's apply path.
//
// At start-up the first replica seeds an empty table from its config file;
// otherwise the database's latest version wins over the local file.
//
// Keys stay on the hosts: while the config is shared, a config whose
// secrets are written literally (a provider's apikey, credentials in a
// URL, a credential header) is refused, on save and on seeding, with a
// diagnostic per field saying to use an env: or file: reference, which
// each replica resolves on its own host.
package configsync
