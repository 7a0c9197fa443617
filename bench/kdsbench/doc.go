// Command kdsbench measures a Kinesis Data Streams HTTP endpoint (Sluice, or
// a reference emulator such as kinesalite or kinesis-mock) through the real
// AWS SDK for Go v2 client, so that the figures of different servers compare.
//
//	go run ./bench/kdsbench --endpoint http://127.0.0.1:4567 --label sluice
//
// It runs three phases against one stream (created with --shards shards if it
// is missing, then waited on until ACTIVE):
//
//   - put: --producers goroutines loop PutRecords batches of --batch records
//     (random partition keys, --record-size byte payloads) for --duration, or
//     until --records records were sent. Acknowledged records are the sent
//     ones minus FailedRecordCount; throughput is acknowledged records (and
//     payload bytes, 1 MB = 10^6 B) over the wall-clock time of the phase.
//     Retries are off, so throttling shows as failed records, not as sleeps.
//   - get: one reader per shard reads the shard from TRIM_HORIZON with
//     GetRecords Limit 10000 until it is caught up. Every put record carries
//     a marker of this run, so the records of this run that were read are
//     checked against the acknowledged count even on a reused stream.
//   - delivery: put -> consumer latency. With enhanced fan-out
//     (RegisterStreamConsumer + SubscribeToShard, StartingPosition LATEST) if
//     the endpoint supports it, else GetRecords polling from LATEST (the
//     output says which, and the sleep between empty polls). Single records
//     are put at --latency-rate per second, --latency-samples of them, each
//     carrying its send wall-clock time; latency = receive time - send time
//     (one clock, one machine). Each shard is first probed with a record
//     routed to it by ExplicitHashKey, so that measuring starts only once
//     every shard's consumer is live. --efo-client raw reads SubscribeToShard
//     with kdsbench's own event-stream reader instead of the SDK's, for
//     servers that omit the initial-response event the SDK requires.
//
// Every load loop is bounded in count and in time (--timeout bounds the whole
// run). Only loopback endpoints are accepted unless --allow-remote is given.
//
// The human-readable report goes to stdout; --out appends the figures to a
// file: one JSON object per line if the name ends in .json or .jsonl, else
// one markdown table row (with a header when the file does not already end
// in a table).
package main
