package s3

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// ParseURL parses a storage URL of the form
//
//	s3://BUCKET[/PREFIX][?endpoint=URL&region=R&path-style=BOOL&part-size=N&max-retries=N]
//
// into a Config. part-size takes bytes, or a number with the suffix KiB, MiB
// or GiB. Credentials are not part of the URL (it shows up in process
// listings and logs): set Config.AccessKeyID and SecretAccessKey, or use the
// standard AWS environment variables. Every problem is reported, each naming
// its part of the URL; the Config is validated too.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, fmt.Errorf("s3: url: %w", err)
	}
	if u.Scheme != "s3" {
		return Config{}, fmt.Errorf("s3: url %q: scheme must be s3", raw)
	}
	if u.User != nil {
		return Config{}, fmt.Errorf("s3: url %q: credentials do not belong in the URL", u.Redacted())
	}
	c := Config{Bucket: u.Host, Prefix: strings.Trim(u.Path, "/")}
	var errs []error
	q := u.Query()
	for _, name := range slices.Sorted(maps.Keys(q)) {
		v := q.Get(name)
		switch name {
		case "endpoint":
			c.Endpoint = v
		case "region":
			c.Region = v
		case "path-style":
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("s3: url path-style: %q is not a boolean", v))
			}
			c.PathStyle = b
		case "part-size":
			n, err := parseBytes(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("s3: url part-size: %w", err))
			}
			c.PartSize = n
		case "max-retries":
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("s3: url max-retries: %q is not an integer", v))
			}
			c.MaxRetries = n
		default:
			errs = append(errs, fmt.Errorf("s3: url: unknown parameter %q", name))
		}
	}
	if len(errs) == 0 {
		errs = append(errs, c.Validate())
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return c, nil
}

// parseBytes parses "8388608", "8MiB", "512KiB" or "1GiB".
func parseBytes(s string) (int64, error) {
	orig, mult := s, int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if t, ok := strings.CutSuffix(s, suffix); ok {
			s, mult = t, m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a byte count", orig)
	}
	return n * mult, nil
}
