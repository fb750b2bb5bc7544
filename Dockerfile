# syntax=docker/dockerfile:1
#
# Sharepack's image: the `sharepack` binary and the browser bundle (site folder), built by
# scripts/build.sh --release exactly as on a workstation. Needs BuildKit (the default builder of
# current Docker) for its cache mounts: `docker build -t sharepack .`, or `docker compose build`.
#
# The same image runs the portal (no arguments), workers alone (`worker`), the schema migration
# (`migrate`) and the administration commands (`users ...`, `tokens ...`).

# No rust-toolchain file pins a compiler (the workspace's rust-version, the minimum, is 1.88);
# this is the stable release the project is developed on. Override with --build-arg.
ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS builder

# wasm-opt (binaryen) makes the WASM bundle smaller; build.sh uses it when it is on PATH.
# Off by default: Debian bookworm's binaryen (108) predates WASM features rustc now enables by
# default, and build.sh stops when wasm-opt refuses the module. `--build-arg WASM_OPT=true` to try.
ARG WASM_OPT=false
RUN if [ "$WASM_OPT" = true ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends binaryen \
      && rm -rf /var/lib/apt/lists/*; \
    fi

# What build.sh would install on first use, in layers of their own so a source change does not
# repeat them: the WASM target and the wasm-bindgen CLI matching Cargo.lock (about 5 minutes).
RUN rustup target add wasm32-unknown-unknown
WORKDIR /src
COPY Cargo.lock ./
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git/db \
    want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/,""); print; exit}' Cargo.lock) \
    && cargo install wasm-bindgen-cli --version "$want" \
    && wasm-bindgen --version

COPY . .
# The target directory is a cache mount (incremental rebuilds), so what the image needs is
# copied out of it: the binary and the site folder (SITE_DIR = $CARGO_TARGET_DIR/site).
ENV CARGO_TARGET_DIR=/build/target
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git/db \
    --mount=type=cache,target=/build/target,id=sharepack-target,sharing=locked \
    bash scripts/build.sh --release \
    && mkdir -p /out \
    && cp "$CARGO_TARGET_DIR/release/sharepack" /out/sharepack \
    && cp -r "$CARGO_TARGET_DIR/site" /out/site


FROM debian:bookworm-slim AS runtime

# ca-certificates: TLS to workspaces, identity providers, PostgreSQL and Azure.
# curl: the HEALTHCHECK below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 sharepack \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/sharepack --no-create-home \
         --shell /usr/sbin/nologin sharepack \
    && mkdir -p /var/lib/sharepack \
    && chown sharepack:sharepack /var/lib/sharepack

# Only the binary and the site folder: the migrations (sqlx::migrate! in
# engine/src/store/migrate.rs) and the samples and YAML template (include_bytes!/include_str! in
# server/src/downloads.rs and engine/src/templates.rs) are compiled into the binary, so
# migrations/ and samples/ are not read at runtime and not copied.
COPY --from=builder /out/sharepack /usr/local/bin/sharepack
COPY --from=builder /out/site /usr/share/sharepack/site

# Settings (README, "Configuration"): listen on every interface inside the container; the data
# directory holds the SQLite database when no DATABASE_URL is set. SHAREPACK_METRICS_ADDR is
# left unset (9464 is its conventional port); compose.yaml sets it.
ENV LEPTOS_SITE_ROOT=/usr/share/sharepack/site \
    LEPTOS_SITE_ADDR=0.0.0.0:3000 \
    SHAREPACK_DATA_DIR=/var/lib/sharepack

WORKDIR /var/lib/sharepack
USER 10001:10001
VOLUME ["/var/lib/sharepack"]
EXPOSE 3000 9464

# The portal's own health (database and queue). It waits up to a minute for each when they
# are still starting, hence the start period. `sharepack worker` serves no portal: give it a
# healthcheck of its own (compose.yaml checks its metrics listener) or none.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:3000/workflow/health || exit 1

ENTRYPOINT ["sharepack"]
