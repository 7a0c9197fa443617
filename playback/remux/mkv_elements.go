package remux

import "github.com/at-wat/ebml-go"

// The Matroska elements Sluice writes, as github.com/at-wat/ebml-go
// marshals them (the struct tags name the elements of the Matroska
// specification, RFC 9559). Each top-level value is marshalled on its own,
// so that a Segment of unknown size can be followed by its clusters as
// they come.

type mkvEBML struct {
	Header mkvHeader `ebml:"EBML"`
}

type mkvHeader struct {
	Version            uint64 `ebml:"EBMLVersion"`
	ReadVersion        uint64 `ebml:"EBMLReadVersion"`
	MaxIDLength        uint64 `ebml:"EBMLMaxIDLength"`
	MaxSizeLength      uint64 `ebml:"EBMLMaxSizeLength"`
	DocType            string `ebml:"EBMLDocType"`
	DocTypeVersion     uint64 `ebml:"EBMLDocTypeVersion"`
	DocTypeReadVersion uint64 `ebml:"EBMLDocTypeReadVersion"`
}

// mkvSegmentStart is the start of a Segment of unknown size: its Info and
// Tracks; clusters and tags follow as separate top-level writes.
type mkvSegmentStart struct {
	Segment struct {
		Info   mkvInfo   `ebml:"Info"`
		Tracks mkvTracks `ebml:"Tracks"`
	} `ebml:"Segment,size=unknown"`
}

type mkvInfo struct {
	TimecodeScale uint64 `ebml:"TimecodeScale"`
	MuxingApp     string `ebml:"MuxingApp"`
	WritingApp    string `ebml:"WritingApp"`
}

type mkvTracks struct {
	TrackEntry []mkvTrackEntry `ebml:"TrackEntry"`
}

type mkvTrackEntry struct {
	TrackNumber  uint64    `ebml:"TrackNumber"`
	TrackUID     uint64    `ebml:"TrackUID"`
	TrackType    uint64    `ebml:"TrackType"`
	FlagLacing   uint64    `ebml:"FlagLacing"`
	Name         string    `ebml:"Name,omitempty"`
	CodecID      string    `ebml:"CodecID"`
	CodecPrivate []byte    `ebml:"CodecPrivate,omitempty"`
	CodecDelay   uint64    `ebml:"CodecDelay,omitempty"`
	SeekPreRoll  uint64    `ebml:"SeekPreRoll,omitempty"`
	Video        *mkvVideo `ebml:"Video,omitempty"`
	Audio        *mkvAudio `ebml:"Audio,omitempty"`
}

type mkvVideo struct {
	PixelWidth  uint64 `ebml:"PixelWidth"`
	PixelHeight uint64 `ebml:"PixelHeight"`
}

type mkvAudio struct {
	SamplingFrequency float64 `ebml:"SamplingFrequency"`
	Channels          uint64  `ebml:"Channels"`
	BitDepth          uint64  `ebml:"BitDepth,omitempty"`
}

type mkvClusterTop struct {
	Cluster mkvCluster `ebml:"Cluster"`
}

type mkvCluster struct {
	Timecode    uint64       `ebml:"Timecode"`
	SimpleBlock []ebml.Block `ebml:"SimpleBlock"`
}

type mkvTagsTop struct {
	Tags mkvTags `ebml:"Tags"`
}

type mkvTags struct {
	Tag []mkvTag `ebml:"Tag"`
}

type mkvTag struct {
	Targets   mkvTargets     `ebml:"Targets"`
	SimpleTag []mkvSimpleTag `ebml:"SimpleTag"`
}

// mkvTargets is empty: the tags apply to the whole Segment, which is how
// KVS writes its fragment tags.
type mkvTargets struct {
	TargetTypeValue uint64 `ebml:"TargetTypeValue,omitempty"`
}

type mkvSimpleTag struct {
	TagName   string `ebml:"TagName"`
	TagString string `ebml:"TagString"`
}
