# syntax=docker/dockerfile:1
# hubmesh's image: Next.js standalone output behind hubmesh's own server (server/main.ts: the front
# door, then Next as a custom server) on Node 24, run as a non-root user on a read-only root
# filesystem (mount writable dirs at /tmp and /app/.next/cache; the Helm chart does).
#   docker build -t <registry>/hubmesh:<version> .
#   bash scripts/image.sh     (the same build with buildah, daemonless, on a locally made base)
# Behind a registry mirror with a private CA: docker build --secret id=npm-ca,src=<ca.pem> .
# Probes: GET /healthz (liveness), /readyz (readiness) on port 3000; the chart sets them.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# The build runs on the builder's own platform, also for another target (no emulation): what it makes
# is JavaScript, and the image holds no native addon (test/image.test.ts checks).
FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS build
WORKDIR /src
ENV NEXT_TELEMETRY_DISABLED=1
COPY package.json package-lock.json ./
# Install scripts are skipped: the only ones are the `node` package's (a Node binary the image
# already has) and esbuild's (a check).
RUN --mount=type=secret,id=npm-ca \
    if [ -f /run/secrets/npm-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm-ca; fi \
 && npm ci --no-audit --no-fund --ignore-scripts
COPY . .
# HUBMESH_STANDALONE turns on `output: 'standalone'` (next.config.js) for this build only. Then the
# server entry is bundled (esbuild) into .next/hubmesh-server.mjs; it runs in place of the standalone
# server.js and, as server.js does, hands Next the config serialized in .next/required-server-files.json.
# /out/app is the whole app as the final image holds it, slimmed (scripts/slim-app.mjs: no source maps,
# nothing the server never loads, node_modules without whitespace).
RUN HUBMESH_STANDALONE=1 node node_modules/next/dist/bin/next build \
 && node scripts/build-server.mjs \
 && test -f .next/standalone/.next/required-server-files.json \
 && mkdir -p /out \
 && cp -a .next/standalone /out/app \
 && rm /out/app/server.js \
 && cp -a .next/static /out/app/.next/static \
 && cp .next/hubmesh-server.mjs /out/app/.next/hubmesh-server.mjs \
 && node scripts/slim-app.mjs /out/app \
 && mkdir -p /out/app/.next/cache

# Node alone: npm, npx, corepack, yarn and the C headers are build tools the server never runs.
FROM ${NODE_IMAGE} AS runtime
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* /usr/local/include /usr/local/share/doc \
      /usr/local/share/man /usr/local/share/systemtap /root/.npm /tmp/*

# One layer of the base without what the stage above removed (deleting in a layer would not shrink it).
FROM scratch
COPY --from=runtime / /
WORKDIR /app
# The same V8 and glibc settings as `npm start` (scripts/server-process.mjs): a 2 MB young generation,
# 20% heap growth under the HUBMESH_HEAP_MB ceiling, two malloc arenas, large buffers unmapped on free.
# The server listens on PORT on every interface.
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    HUBMESH_HEAP_MB=256 \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=131072 \
    MALLOC_TRIM_THRESHOLD_=131072
# Files owned by root and not writable by the app; only Next's cache dir and local mode's data dir
# (`docker run` with no cluster: the generated tokens and routes live there) belong to it.
COPY --from=build /out/app ./
RUN mkdir .hubmesh-data && chown 1000:1000 .next/cache .hubmesh-data
# node:*-slim's "node" user, numerically, so that runAsNonRoot can verify it
USER 1000:1000
EXPOSE 3000
# sh only expands HUBMESH_HEAP_MB, then exec makes node PID 1: it gets SIGTERM and shuts down cleanly.
CMD ["/bin/sh", "-c", "exec node --max-semi-space-size=2 --max-old-space-size=\"$HUBMESH_HEAP_MB\" --heap-growing-percent=20 .next/hubmesh-server.mjs"]
