package edge

import (
	"errors"
	"log/slog"
	"time"

	"github.com/sluice-dev/sluice/ingest/relay"
)

// Config configures a Node. The zero value is valid.
type Config struct {
	// Prefix is the first token of the subjects. Default "sluice.live".
	Prefix string
	// Interest is how long a recorder keeps publishing a stream after a
	// join or keep message. Mirrors send keep messages every Interest/3.
	// Default 6s.
	Interest time.Duration
	// Idle: a mirrored stream without a reader (a hub View) for this long
	// is dropped. Default 10s (longer than a plain HLS player's reload).
	Idle time.Duration
	// JoinTimeout bounds a join request (a View waits for it once, when a
	// stream starts being mirrored). Default 1s.
	JoinTimeout time.Duration
	// NotLiveTTL: after a join that nobody answered, Views of the stream
	// do not ask again for this long. Default 1s.
	NotLiveTTL time.Duration
	// Relay, when set, is the node's relay of live access units (WHEP
	// viewers): its streams are shared the same way as the hub's.
	Relay *relay.Relay
	// Logger receives failures. Default slog.Default().
	Logger *slog.Logger
}

func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.Interest < 0 || c.Idle < 0 || c.JoinTimeout < 0 || c.NotLiveTTL < 0 {
		errs = append(errs, errors.New("edge: Interest, Idle, JoinTimeout and NotLiveTTL must not be negative"))
	}
	if c.Prefix == "" {
		c.Prefix = "sluice.live"
	}
	if c.Interest == 0 {
		c.Interest = 6 * time.Second
	}
	if c.Idle == 0 {
		c.Idle = 10 * time.Second
	}
	if c.JoinTimeout == 0 {
		c.JoinTimeout = time.Second
	}
	if c.NotLiveTTL == 0 {
		c.NotLiveTTL = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, errors.Join(errs...)
}
