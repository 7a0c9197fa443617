package kds

import "github.com/sluice-dev/sluice/web/awswire"

// epochTime is a timestamp member: the AWS wire edge's EpochTime (epoch
// seconds on JSON, tag 1 over milliseconds on CBOR).
type epochTime = awswire.EpochTime
