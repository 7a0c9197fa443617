// Package outage tests the archive path against a bucket that goes away:
// versitygw killed and restarted under live recordings (issue 13).
package outage

import (
	"testing"

	"github.com/sluice-dev/sluice/internal/e2e"
)

func TestMain(m *testing.M) { e2e.Main(m) }
