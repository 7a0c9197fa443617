// Command sluice is a self-hosted video and data streaming server,
// wire-compatible with Amazon Kinesis Data Streams and Kinesis Video Streams.
//
// Usage:
//
//	sluice [serve] [flags]   run the server (the default command)
//	sluice version           print the version
//	sluice help              print the flags
//
// Every flag can also be set in the environment as SLUICE_<FLAG> (upper case,
// dashes as underscores) and in a YAML file given by --config, whose keys are
// the flag names. Precedence: flag, then environment, then file, then default.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		cfg, err := loadConfig(args, os.Getenv)
		if errors.Is(err, errHelp) {
			return 0
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "sluice:", err)
			return 2
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := serve(ctx, cfg); err != nil {
			fmt.Fprintln(os.Stderr, "sluice:", err)
			return 1
		}
		return 0
	case "token":
		return tokenCommand(args, os.Stdin, os.Stdout, os.Stderr)
	case "version":
		fmt.Println("sluice", version)
		return 0
	case "help":
		_, _ = loadConfig([]string{"-h"}, os.Getenv)
		return 0
	default:
		fmt.Fprintf(os.Stderr, "sluice: unknown command %q (commands: serve, token, version, help)\n", cmd)
		return 2
	}
}
