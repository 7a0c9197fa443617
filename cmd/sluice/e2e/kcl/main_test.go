// Package kcl runs real Kinesis Client Library applications against
// Sluice: vmware-go-kcl-v2 workers, with enhanced fan-out, on a stream
// resharded while they consume (issue 14).
package kcl

import (
	"testing"

	"github.com/sluice-dev/sluice/internal/e2e"
)

func TestMain(m *testing.M) { e2e.Main(m) }
