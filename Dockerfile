# syntax=docker/dockerfile:1
# Build stage: a static binary (pure-Go SQLite, no cgo), built with the same flags as CI.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/devin-chatops . \
 && mkdir -p /out/data

# Final stage: nothing but the binary, CA certificates and a data directory, run as a
# non-root user. Time zones for CRON_TZ are embedded in the binary (time/tzdata).
# There is no shell, so the health check is the binary's own `healthcheck`
# subcommand, which probes /healthz on HTTP_ADDR.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/devin-chatops /devin-chatops
COPY --from=build --chown=65532:65532 /out/data /data
ENV DATABASE_URL=sqlite:/data/devin-chatops.db \
    HTTP_ADDR=:8080 \
    LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/devin-chatops", "healthcheck"]
ENTRYPOINT ["/devin-chatops"]
CMD ["run"]
