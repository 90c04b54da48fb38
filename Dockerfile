# syntax=docker/dockerfile:1
# hubmesh's image: Next.js standalone output on Node 24, run as a non-root user on a read-only root
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
# HUBMESH_STANDALONE turns on `output: 'standalone'` (next.config.js) for this build only; `npm start`
# keeps `next start`. next is run with the image's node, not node_modules/.bin/node (skipped above).
RUN HUBMESH_STANDALONE=1 node node_modules/next/dist/bin/next build \
 && test -f .next/standalone/server.js

FROM ${NODE_IMAGE}
WORKDIR /app
# The same V8 and glibc settings as `npm start` (scripts/server-process.mjs): a 2 MB young generation,
# 20% heap growth under the HUBMESH_HEAP_MB ceiling, two malloc arenas, large buffers unmapped on free.
# HOSTNAME is the address Next's standalone server listens on (Kubernetes sets it to the pod's name).
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    HOSTNAME=0.0.0.0 \
    HUBMESH_HEAP_MB=256 \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=131072 \
    MALLOC_TRIM_THRESHOLD_=131072
# Files owned by root and not writable by the app; only the cache dir belongs to it.
COPY --from=build /src/.next/standalone ./
COPY --from=build /src/.next/static ./.next/static
RUN mkdir -p .next/cache && chown 1000:1000 .next/cache
# node:*-slim's "node" user, numerically, so that runAsNonRoot can verify it
USER 1000:1000
EXPOSE 3000
# sh only expands HUBMESH_HEAP_MB, then exec makes node PID 1: it gets SIGTERM and Next shuts down cleanly.
CMD ["/bin/sh", "-c", "exec node --max-semi-space-size=2 --max-old-space-size=\"$HUBMESH_HEAP_MB\" --heap-growing-percent=20 server.js"]
