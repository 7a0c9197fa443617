package auth

import (
	"bufio"
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// ErrChunkSignature is returned by the body of a
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD request when a chunk is malformed or
// its signature does not match: the data read before it was authentic,
// nothing after it is delivered.
var ErrChunkSignature = errors.New("auth: aws-chunked body: bad chunk or chunk signature")

// maxChunk bounds one chunk of an aws-chunked body (clients send 8-128 KiB).
const maxChunk = 16 << 20

// chunkedBody decodes an aws-chunked body and checks every chunk's
// signature, each chained to the previous one starting from the seed (the
// request's signature):
//
//	hex-size;chunk-signature=<64 hex>\r\n <data> \r\n … 0;chunk-signature=<sig>\r\n\r\n
//
// The chunk's string to sign is the SDK's event-stream string to sign with
// empty headers (AWS4-HMAC-SHA256-PAYLOAD, date, scope, previous
// signature, hash(""), hash(data)), so the SDK's StreamSigner computes it.
type chunkedBody struct {
	src    io.ReadCloser
	br     *bufio.Reader
	signer *v4.StreamSigner
	at     time.Time
	buf    []byte // verified data not yet read
	err    error  // sticky: io.EOF after the final chunk, or the failure
}

func newChunkedBody(src io.ReadCloser, key Key, sig signature, at time.Time) (*chunkedBody, error) {
	seed, err := hex.DecodeString(sig.sig)
	if err != nil {
		return nil, err
	}
	creds := aws.Credentials{AccessKeyID: key.ID, SecretAccessKey: key.Secret}
	return &chunkedBody{
		src:    src,
		br:     bufio.NewReader(src),
		signer: v4.NewStreamSigner(creds, sig.scope.service, sig.scope.region, seed),
		at:     at,
	}, nil
}

func (c *chunkedBody) Read(p []byte) (int, error) {
	for len(c.buf) == 0 && c.err == nil {
		c.err = c.next()
	}
	if len(c.buf) > 0 {
		n := copy(p, c.buf)
		c.buf = c.buf[n:]
		return n, nil
	}
	return 0, c.err
}

func (c *chunkedBody) Close() error { return c.src.Close() }

// next reads and verifies one chunk into buf; io.EOF after the last.
func (c *chunkedBody) next() error {
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return fmt.Errorf("%w: reading a chunk header: %v", ErrChunkSignature, err)
	}
	head := strings.TrimSuffix(string(line), "\r\n")
	sizeHex, params, ok := strings.Cut(head, ";")
	sigHex, hasSig := strings.CutPrefix(params, "chunk-signature=")
	size, perr := strconv.ParseUint(sizeHex, 16, 32)
	if !ok || !hasSig || perr != nil || size > maxChunk || len(sigHex) != 64 {
		return fmt.Errorf("%w: malformed chunk header", ErrChunkSignature)
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(c.br, data); err != nil {
		return fmt.Errorf("%w: reading a chunk: %v", ErrChunkSignature, err)
	}
	var crlf [2]byte
	if _, err := io.ReadFull(c.br, crlf[:]); err != nil || !bytes.Equal(crlf[:], []byte("\r\n")) {
		return fmt.Errorf("%w: a chunk does not end with CRLF", ErrChunkSignature)
	}
	want, err := c.signer.GetSignature(context.Background(), nil, data, c.at)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrChunkSignature, err)
	}
	if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(want)), []byte(strings.ToLower(sigHex))) != 1 {
		return fmt.Errorf("%w: chunk signature mismatch", ErrChunkSignature)
	}
	if size == 0 {
		return io.EOF
	}
	c.buf = data
	return nil
}
