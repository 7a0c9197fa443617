package api

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/web/auth"
)

func (h *Handler) data(w http.ResponseWriter) bool {
	if h.d.Data == nil {
		writeError(w, http.StatusServiceUnavailable, "data streams are not served by this node")
		return false
	}
	return true
}

type dataStreamJSON struct {
	Name           string      `json:"name"`
	ARN            string      `json:"arn"`
	Status         string      `json:"status"`
	Mode           string      `json:"mode"`
	RetentionHours int         `json:"retention_hours"`
	OpenShards     int         `json:"open_shards"`
	Created        time.Time   `json:"created"`
	RecordsIn      uint64      `json:"records_in"` // written through this node since it started
	BytesIn        uint64      `json:"bytes_in"`
	Shards         []shardJSON `json:"shards,omitempty"`
}

type shardJSON struct {
	ID               string `json:"id"`
	Parent           string `json:"parent,omitempty"`
	AdjacentParent   string `json:"adjacent_parent,omitempty"`
	StartingHashKey  string `json:"starting_hash_key"`
	EndingHashKey    string `json:"ending_hash_key"`
	StartingSequence string `json:"starting_sequence"`
	EndingSequence   string `json:"ending_sequence,omitempty"`
	Open             bool   `json:"open"`
}

func (h *Handler) toDataJSON(s streams.Stream, shards bool) dataStreamJSON {
	d := dataStreamJSON{Name: s.Name, ARN: s.ARN, Status: string(s.Status), Mode: string(s.Mode),
		RetentionHours: s.RetentionHours, OpenShards: len(s.OpenShards()), Created: s.CreatedAt}
	d.RecordsIn, d.BytesIn = h.d.Data.StreamStats(s.Name)
	if shards {
		for _, sh := range s.Shards {
			d.Shards = append(d.Shards, shardJSON{ID: sh.ID, Parent: sh.ParentID, AdjacentParent: sh.AdjacentParentID,
				StartingHashKey: sh.StartingHashKey.String(), EndingHashKey: sh.EndingHashKey.String(),
				StartingSequence: sh.StartingSequenceNumber, EndingSequence: sh.EndingSequenceNumber, Open: sh.Open()})
		}
	}
	return d
}

func (h *Handler) listData(w http.ResponseWriter, r *http.Request) {
	if !h.data(w) {
		return
	}
	all, err := h.d.Data.ListStreams(r.Context())
	if err != nil {
		h.fail(w, err)
		return
	}
	out := make([]dataStreamJSON, 0, len(all))
	for _, s := range all {
		if auth.Allowed(r.Context(), actDescribeData, s.Name) {
			out = append(out, h.toDataJSON(s, false))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"streams": out})
}

func (h *Handler) getData(w http.ResponseWriter, r *http.Request) {
	if !h.data(w) {
		return
	}
	s, err := h.d.Data.DescribeStream(r.Context(), r.PathValue("name"))
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, h.toDataJSON(s, true))
}

// recordJSON is a record as the UI shows it: data as text when it is
// valid UTF-8, always as base64 too.
type recordJSON struct {
	Shard        string    `json:"shard"`
	Sequence     string    `json:"sequence"`
	PartitionKey string    `json:"partition_key"`
	Time         time.Time `json:"time"`
	Text         *string   `json:"text,omitempty"`
	Base64       string    `json:"base64"`
}

// tailData streams the records arriving on every open shard as
// server-sent events ("record" events with a recordJSON), from LATEST,
// until the client goes away (at most an hour).
func (h *Handler) tailData(w http.ResponseWriter, r *http.Request) {
	if !h.data(w) {
		return
	}
	name := r.PathValue("name")
	s, err := h.d.Data.DescribeStream(r.Context(), name)
	if err != nil {
		h.fail(w, err)
		return
	}
	its := map[string]string{}
	for _, sh := range s.OpenShards() {
		it, err := h.d.Data.GetShardIterator(r.Context(), name, sh.ID, streams.Latest, "", time.Time{})
		if err != nil {
			h.fail(w, err)
			return
		}
		its[sh.ID] = it
	}
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": tailing "+name+"\n\n")
	if flusher != nil {
		flusher.Flush()
	}
	deadline := time.Now().Add(time.Hour)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) && len(its) > 0 {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
		for shard, it := range its {
			res, err := h.d.Data.TailRecords(r.Context(), it, 1000) // not the clients' read budget
			if err != nil {
				fmt.Fprintf(w, "event: error\ndata: %q\n\n", err.Error())
				delete(its, shard)
				continue
			}
			for _, rec := range res.Records {
				out := recordJSON{Shard: shard, Sequence: rec.SequenceNumber, PartitionKey: rec.PartitionKey,
					Time: rec.ArrivalTime, Base64: base64.StdEncoding.EncodeToString(rec.Data)}
				if utf8.Valid(rec.Data) {
					t := string(rec.Data)
					out.Text = &t
				}
				fmt.Fprint(w, "event: record\ndata: ")
				writeJSONLine(w, out)
				fmt.Fprint(w, "\n")
			}
			if res.NextIterator == "" {
				delete(its, shard) // closed shard read to its end
			} else {
				its[shard] = res.NextIterator
			}
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
}

func (h *Handler) putData(w http.ResponseWriter, r *http.Request) {
	if !h.data(w) {
		return
	}
	var in struct {
		PartitionKey string `json:"partition_key"`
		Data         string `json:"data"`
		Base64       bool   `json:"base64"`
	}
	if !decode(w, r, &in) {
		return
	}
	data := []byte(in.Data)
	if in.Base64 {
		b, err := base64.StdEncoding.DecodeString(in.Data)
		if err != nil {
			writeError(w, http.StatusBadRequest, "data is not base64: "+err.Error())
			return
		}
		data = b
	}
	res, err := h.d.Data.PutRecords(r.Context(), r.PathValue("name"), []streams.PutEntry{{PartitionKey: in.PartitionKey, Data: data}})
	if err == nil {
		err = res[0].Err
	}
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"shard": res[0].ShardID, "sequence": res[0].SequenceNumber})
}
