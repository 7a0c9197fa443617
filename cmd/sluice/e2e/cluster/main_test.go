package cluster

import (
	"testing"

	"github.com/sluice-dev/sluice/internal/e2e"
)

func TestMain(m *testing.M) { e2e.Main(m) }
