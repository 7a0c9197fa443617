package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/sluice-dev/sluice/web/auth"
)

// certHolder serves the current TLS certificate; reload swaps it, so new
// connections (HTTPS and RTSPS) get the new one and open ones keep theirs.
type certHolder struct {
	certFile, keyFile string
	cert              atomic.Pointer[tls.Certificate]
}

func (h *certHolder) load() error {
	cert, err := tls.LoadX509KeyPair(h.certFile, h.keyFile)
	if err != nil {
		return fmt.Errorf("loading %s and %s: %w", h.certFile, h.keyFile, err)
	}
	h.cert.Store(&cert)
	return nil
}

func (h *certHolder) get(*tls.ClientHelloInfo) (*tls.Certificate, error) { return h.cert.Load(), nil }

// tlsConfig is the server configuration that serves h's certificate.
func (h *certHolder) tlsConfig() *tls.Config {
	return &tls.Config{GetCertificate: h.get, MinVersion: tls.VersionTLS12}
}

// readKeys reads the access keys: the --access-key values and the keys
// file as it is now (at start and on SIGHUP). Errors name the flag, never
// a secret.
func (c *config) readKeys() ([]auth.Key, []error) {
	var keys []auth.Key
	var errs []error
	for _, v := range c.AccessKeys {
		k, err := auth.ParseAccessKeyFlag(v)
		if err != nil {
			id, _, _ := strings.Cut(v, ":")
			errs = append(errs, fmt.Errorf("--access-key: %s: %w", id, err))
			continue
		}
		keys = append(keys, k)
	}
	if c.AccessKeysFile != "" {
		fileKeys, err := loadKeysFile(c.AccessKeysFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("--access-keys-file: %w", err))
		}
		keys = append(keys, fileKeys...)
	}
	return keys, errs
}

// tlsConfig serves the loaded certificate; nil without --tls-cert.
func (c *config) tlsConfig() *tls.Config {
	if c.certs == nil {
		return nil
	}
	return c.certs.tlsConfig()
}

// reloadOnHangup re-reads the access keys file and the TLS certificate on
// each SIGHUP until ctx ends. What fails to load is logged and the old
// keys or certificate stay in use.
func reloadOnHangup(ctx context.Context, c *config, v *auth.Verifier, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				if err := c.reload(v); err != nil {
					log.Error("SIGHUP: reload failed; the previous keys and certificate stay in use", "err", err)
				} else {
					log.Info("SIGHUP: access keys and TLS certificate reloaded", "keys", len(c.keys), "tls", c.certs != nil)
				}
			}
		}
	}()
}

// reload loads the keys and the certificate and applies each that loaded.
func (c *config) reload(v *auth.Verifier) error {
	var errs []error
	if keys, keyErrs := c.readKeys(); len(keyErrs) > 0 {
		errs = append(errs, keyErrs...)
	} else if err := v.SetKeys(keys); err != nil {
		errs = append(errs, err)
	} else {
		c.keys = keys
	}
	if c.certs != nil {
		if err := c.certs.load(); err != nil {
			errs = append(errs, fmt.Errorf("--tls-cert: %w", err))
		}
	}
	return errors.Join(errs...)
}
