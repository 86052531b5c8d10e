# syntax=docker/dockerfile:1
# hookrelay: one binary, one SQLite file in the /data volume.
#   docker build -t hookrelay .
#   docker run -d -p 3000:3000 -v hookrelay-data:/data hookrelay

ARG BUN_VERSION=1.4.5

# Build: install from the lockfile, compile the single executable (dist/hookrelay).
FROM oven/bun:${BUN_VERSION} AS build
WORKDIR /src
COPY package.json bun.lock bunfig.toml ./
RUN bun install --frozen-lockfile --production
COPY . .
RUN bun run build && ./dist/hookrelay --version

# Run: glibc (the prebuilt SQLite driver links libstdc++), no Bun, no node_modules.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libstdc++6 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 hookrelay \
 && useradd --system --uid 10001 --gid hookrelay --home-dir /data --shell /usr/sbin/nologin hookrelay \
 && mkdir -p /data \
 && chown hookrelay:hookrelay /data
COPY --from=build /src/dist/hookrelay /usr/local/bin/hookrelay

# TMPDIR must be writable: the binary unpacks its SQLite driver there at start-up (with
# `docker run --read-only`, add `--tmpfs /tmp`).
ENV HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_PATH=/data/hookrelay.db \
    TMPDIR=/tmp

USER hookrelay:hookrelay
WORKDIR /data
VOLUME ["/data"]
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["hookrelay", "health"]

# serve is the default command; SIGTERM drains in-flight deliveries before exit.
ENTRYPOINT ["hookrelay"]
CMD ["serve"]
