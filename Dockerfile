# Multi-stage build: a static sluice binary on a distroless base, non-root.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/sluice ./cmd/sluice \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sluice /usr/local/bin/sluice
COPY --from=build --chown=65532:65532 /out/data /var/lib/sluice
VOLUME /var/lib/sluice
WORKDIR /var/lib/sluice
ENV SLUICE_DATA_DIR=/var/lib/sluice
# HTTP(S) API/UI/metrics, RTSP (TCP), RTSP RTP/RTCP over UDP, WebRTC (UDP),
# RTSPS (with --tls-cert). Without access keys Sluice serves loopback only,
# which in a container means nobody: give SLUICE_ACCESS_KEY=ID:SECRET (or a
# keys file), or SLUICE_INSECURE_NO_AUTH=true on a trusted network.
EXPOSE 8080 8554 8000/udp 8001/udp 8189/udp 8322
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/sluice"]
CMD ["serve"]
