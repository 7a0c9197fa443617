//go:build race

package storage_test

// raceEnabled: the race detector changes allocation counts, so tests do
// not assert them under -race.
const raceEnabled = true
