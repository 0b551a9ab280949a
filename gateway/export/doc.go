// Package export copies the gateway's request records to S3 (the
// config's "exporters.s3"), for analysis and archiving outside the
// gateway, and so that "database.retention.require_export" can purge
// captures once a copy exists.
//
// Every Every seconds the Exporter uploads the rows committed to the
// ledger since its last upload, at most Limit of them, as one object named
// ts-aperture-export-<unix>.cbor.zstd: a zstd stream of CBOR records (see
// Record), one per request, with the request's capture when one is
// stored. A run that was full is followed at once by the next, so a
// backlog drains without waiting.
//
// Export is exactly once: the ledger keeps the position (the last row
// exported), which moves only after an upload succeeded, and the batch
// planned before each upload, so a crash, an unreachable endpoint or a
// failed upload is retried with the same rows under the same object name,
// replacing a copy that may have arrived instead of adding a second one.
package export
