// Package upgrade starts the binary on data directories written by
// earlier versions (testdata) and checks that what clients kept from them
// still works.
package upgrade

import (
	"testing"

	"github.com/sluice-dev/sluice/internal/e2e"
)

func TestMain(m *testing.M) { e2e.Main(m) }
