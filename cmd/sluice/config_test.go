package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sluice.yaml")
	os.WriteFile(file, []byte("data-dir: /from/file\nhttp-addr: ':9000'\nlog-level: warn\nmax-shards: 7\n"), 0o600)

	cfg, err := loadConfig([]string{"--config", file, "--http-addr", ":9100"}, env(map[string]string{
		"SLUICE_HTTP_ADDR": ":9200", // loses to the flag
		"SLUICE_LOG_LEVEL": "debug", // beats the file
	}))
	if err != nil {
		t.Fatal(err)
	}
	// No access keys: an address on all interfaces becomes loopback.
	if cfg.HTTPAddr != "127.0.0.1:9100" || cfg.LogLevel != "debug" || cfg.DataDir != "/from/file" || cfg.MaxShards != 7 {
		t.Fatalf("precedence wrong: %+v", cfg)
	}
	if cfg.PublicURL != "http://127.0.0.1:9100" {
		t.Fatalf("default public URL %q", cfg.PublicURL)
	}
	if cfg.LogFormat != "text" || !cfg.ThroughputLimits {
		t.Fatalf("defaults lost: %+v", cfg)
	}
}

func TestConfigFileFromEnv(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(file, []byte("region: eu-west-1\n"), 0o600)
	cfg, err := loadConfig(nil, env(map[string]string{"SLUICE_CONFIG": file}))
	if err != nil || cfg.Region != "eu-west-1" {
		t.Fatalf("%+v %v", cfg, err)
	}
}

func TestConfigReportsEveryError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(file, []byte("no-such-setting: 1\n"), 0o600)
	_, err := loadConfig([]string{"--config", file, "--log-format", "xml", "--replicas", "0", "--account-id", "12"},
		env(map[string]string{"SLUICE_MAX_SHARDS": "many"}))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"no-such-setting", "--log-format", "--replicas", "--account-id", "SLUICE_MAX_SHARDS"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s:\n%v", want, err)
		}
	}
}

func TestConfigOpenOnlyOnLoopback(t *testing.T) {
	// No keys: an address on all interfaces is moved to loopback.
	cfg, err := loadConfig([]string{"--http-addr", ":9100"}, env(nil))
	if err != nil || cfg.HTTPAddr != "127.0.0.1:9100" || cfg.RTSPAddr != "127.0.0.1:8554" || len(cfg.openNotes) == 0 {
		t.Fatalf("%+v %v", cfg, err)
	}
	// No keys and an explicit non-loopback address: refused, naming the way out.
	_, err = loadConfig([]string{"--http-addr", "10.1.2.3:8080"}, env(nil))
	if err == nil || !strings.Contains(err.Error(), "--insecure-no-auth") || !strings.Contains(err.Error(), "--http-addr") {
		t.Fatalf("non-loopback without keys: %v", err)
	}
	// --insecure-no-auth, or keys: served as given.
	cfg, err = loadConfig([]string{"--http-addr", ":9100", "--insecure-no-auth"}, env(nil))
	if err != nil || cfg.HTTPAddr != ":9100" {
		t.Fatalf("%+v %v", cfg, err)
	}
	cfg, err = loadConfig([]string{"--http-addr", "10.1.2.3:8080"}, env(map[string]string{"SLUICE_ACCESS_KEY": "AKID1:s3cret-value AKID2:other-secret"}))
	if err != nil || cfg.HTTPAddr != "10.1.2.3:8080" || len(cfg.keys) != 2 {
		t.Fatalf("%+v %v", cfg, err)
	}
	// Secrets never show in errors.
	_, err = loadConfig([]string{"--access-key", "AKID1:s3cret-value", "--access-key", "AKID1:s3cret-value"}, env(nil))
	if err == nil || strings.Contains(err.Error(), "s3cret-value") {
		t.Fatalf("duplicate key: %v", err)
	}
}

func TestConfigOutboundAndArchiveMode(t *testing.T) {
	cfg, err := loadConfig([]string{"--outbound-allow", "10.0.0.0/8", "--outbound-allow", "192.0.2.7", "--archive-mode", "group"}, env(nil))
	if err != nil || len(cfg.outboundNets) != 2 || cfg.outboundNets[1].String() != "192.0.2.7/32" || cfg.ArchiveMode != "group" {
		t.Fatalf("%+v %v", cfg, err)
	}
	cfg, err = loadConfig(nil, env(map[string]string{"SLUICE_OUTBOUND_ALLOW": "::1/128 127.0.0.0/8"}))
	if err != nil || len(cfg.outboundNets) != 2 || cfg.ArchiveMode != "private" {
		t.Fatalf("%+v %v", cfg, err)
	}
	_, err = loadConfig([]string{"--outbound-allow", "nas.lan", "--archive-mode", "world"}, env(nil))
	if err == nil || !strings.Contains(err.Error(), "--outbound-allow") || !strings.Contains(err.Error(), "--archive-mode") {
		t.Fatalf("bad values: %v", err)
	}
}
