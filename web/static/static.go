// Package static holds the minimal WebRTC pages, embedded in the binary:
// publish.html (camera and microphone to WHIP, codec chosen with
// setCodecPreferences) and watch.html (WHEP to a <video>, with its
// decoding statistics), and auth.js, the credentials both send. They make
// no request but to the server that
// serves them. The full web UI is another matter.
package static

import (
	"embed"
	"io/fs"
)

//go:embed publish.html watch.html auth.js
var files embed.FS

// Files returns the pages, by file name.
func Files() fs.FS { return files }
