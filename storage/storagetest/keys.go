package storagetest

import "strings"

// ValidKeys are keys that every provider must accept. Shared by the suite,
// the table tests of storage.ValidKey and its fuzz seeds.
var ValidKeys = []string{
	"a",
	"A-z_0.9",
	"stream-1/2024/05/01/000042.mp4",
	"..x",
	".hidden",
	"x/..b/c..",
	"y/.../b",
	"-",
	"_/_",
	strings.Repeat("k", 255),
	strings.Repeat(strings.Repeat("s", 63)+"/", 8)[:511],
}

// InvalidKeys are hostile or malformed keys that every provider must reject
// with an error wrapping storage.ErrInvalidKey, before touching its backend.
var InvalidKeys = []string{
	"",
	".",
	"..",
	"../x",
	"a/../../b",
	"a/..",
	"a/./b",
	"./a",
	"/abs",
	"/",
	"a//b",
	"a/",
	"a/b/",
	"a\x00b",
	"\x00",
	`a\b`,
	`..\..\x`,
	"C:/x",
	"~/x",
	"a b",
	"a\nb",
	"a\tb",
	"caf\u00e9",
	"a/\u2215/b", // DIVISION SLASH, looks like '/'
	"a\u2024\u2024/b",
	"%2e%2e/x",
	"a?b",
	"a#b",
	"a*b",
	"a:b",
	strings.Repeat("k", 2000),
	strings.Repeat("a/", 512) + "b",
}

// InvalidPrefixes are List prefixes that no valid key starts with; List must
// reject them with an error wrapping storage.ErrInvalidKey.
var InvalidPrefixes = []string{
	"/",
	"/a",
	"a//",
	"../",
	"a/../",
	"./",
	"a\x00",
	`a\`,
	strings.Repeat("k", 1025),
}
