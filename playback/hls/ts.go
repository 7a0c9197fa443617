package hls

import "github.com/sluice-dev/sluice/playback/remux"

// remuxTS is the default Config.TS.
func remuxTS(init []byte, media ...[]byte) ([]byte, error) { return remux.TS(init, media...) }
