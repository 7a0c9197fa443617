package kvs

import "github.com/sluice-dev/sluice/web/awswire"

// epochTime is a timestamp member: the AWS wire edge's EpochTime (epoch
// seconds as a JSON number).
type epochTime = awswire.EpochTime

// appendEpoch appends t as epoch seconds with a millisecond fraction.
func appendEpoch(b []byte, t epochTime) []byte { return t.AppendJSON(b) }
