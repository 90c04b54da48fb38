# syntax=docker/dockerfile:1
# hubmesh's image: Next.js standalone output behind hubmesh's own server (server/main.ts: the front
# door, then Next as a custom server) on Node 24, run as a non-root user on a read-only root
# filesystem (mount writable dirs at /tmp and /app/.next/cache; the Helm chart does).
#   docker build -t <registry>/hubmesh:<version> .
# Probes: GET /healthz (liveness), /readyz (readiness) on port 3000; the chart sets them.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
ENV NEXT_TELEMETRY_DISABLED=1
COPY package.json package-lock.json ./
# The lockfile has no `resolved` URLs, so `npm ci` is not an option. Install scripts are skipped: the
# only ones are the `node` package's (a Node binary the image already has) and esbuild's (a check).
RUN npm install --no-audit --no-fund --ignore-scripts
COPY . .
# HUBMESH_STANDALONE turns on `output: 'standalone'` (next.config.js) for this build only. Then the
# server entry is bundled (esbuild) into .next/hubmesh-server.mjs; it runs in place of the standalone
# server.js and, as server.js does, hands Next the config serialized in .next/required-server-files.json.
# Both run with the image's node, not node_modules/.bin/node (skipped above).
RUN HUBMESH_STANDALONE=1 node node_modules/next/dist/bin/next build \
 && node scripts/build-server.mjs \
 && test -f .next/standalone/.next/required-server-files.json \
 && test -f .next/hubmesh-server.mjs

FROM ${NODE_IMAGE}
WORKDIR /app
# The same V8 and glibc settings as `npm start` (scripts/server-process.mjs): a 2 MB young generation,
# 20% heap growth under the HUBMESH_HEAP_MB ceiling, two malloc arenas, large buffers unmapped on free.
# The server listens on PORT on every interface.
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    HUBMESH_HEAP_MB=256 \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=131072 \
    MALLOC_TRIM_THRESHOLD_=131072
# Files owned by root and not writable by the app; only the cache dir belongs to it.
COPY --from=build /src/.next/standalone ./
COPY --from=build /src/.next/static ./.next/static
# next, pino and the app's other external packages come from the standalone node_modules
COPY --from=build /src/.next/hubmesh-server.mjs ./.next/hubmesh-server.mjs
RUN mkdir -p .next/cache && chown 1000:1000 .next/cache
# node:*-slim's "node" user, numerically, so that runAsNonRoot can verify it
USER 1000:1000
EXPOSE 3000
# sh only expands HUBMESH_HEAP_MB, then exec makes node PID 1: it gets SIGTERM and shuts down cleanly.
CMD ["/bin/sh", "-c", "exec node --max-semi-space-size=2 --max-old-space-size=\"$HUBMESH_HEAP_MB\" --heap-growing-percent=20 .next/hubmesh-server.mjs"]
