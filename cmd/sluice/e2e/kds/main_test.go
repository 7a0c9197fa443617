// Package kds tests Kinesis Data Streams behaviour of the binary that
// takes time to show: on-demand scaling (issue 14).
package kds

import (
	"testing"

	"github.com/sluice-dev/sluice/internal/e2e"
)

func TestMain(m *testing.M) { e2e.Main(m) }
