# syntax=docker/dockerfile:1
#
# The Sluice container image: Node 24 (TypeScript run by type stripping, no build
# step), production dependencies only, files owned by root and read-only to the
# non-root user that runs Sluice, so the root filesystem can be mounted read-only
# (the Helm chart does; it mounts /tmp and the checkpoint directory).
#
#   docker build -t sluice:0.1.0 .
#   docker run --rm -p 8081:8081 sluice:0.1.0                      # session mode (serve)
#   docker run --rm -p 8081:8081 sluice:0.1.0 run -- jobs/examples/throttled.ts
#
# CI has no Docker engine: test/deploy/image.test.ts reads this file and repeats its
# steps in a clean directory (production install, then the ENTRYPOINT and CMD as the
# image's user), and checks that the server answers /healthz. Keep to the instructions
# that test understands: FROM, ARG, ENV, WORKDIR, COPY, RUN (npm only), USER, EXPOSE,
# LABEL, ENTRYPOINT and CMD in exec form.

# Node version of the image: the same as the `node` devDependency (a test checks it).
ARG NODE_VERSION=24.21.0

FROM node:${NODE_VERSION}-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY jobs ./jobs

FROM node:${NODE_VERSION}-slim
# Sluice version (package.json "version"; a test checks it) and the commit built.
ARG SLUICE_VERSION=0.1.0
ARG VCS_REF=unknown
LABEL org.opencontainers.image.title="sluice" \
      org.opencontainers.image.description="Sluice: a stream-processing runtime for Node.js (Kafka in, chained operators on worker threads, Kafka out)" \
      org.opencontainers.image.version="${SLUICE_VERSION}" \
      org.opencontainers.image.revision="${VCS_REF}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="docker.io/library/node:${NODE_VERSION}-slim"
ENV NODE_ENV=production \
    NODE_OPTIONS=--disable-warning=TimeoutNegativeWarning
WORKDIR /app
COPY --from=build /app /app
# The official image's `node` user (uid 1000); it owns nothing under /app.
USER 1000:1000
# REST API and /metrics (rest.port).
EXPOSE 8081
# --single-threaded-gc: V8 collects garbage on the thread that allocated it instead of
# on helper threads. Sluice keeps every core busy with a task-slot worker (one slot per
# core by default), so helper threads could only run by preempting a worker; measured
# on 2 cores at parallelism 2, helper threads used 18-46 ns of CPU per record (14-18
# with this flag) and made throughput bimodal (docs/runtime.md, "Garbage collection").
# For a deployment with idle cores, drop the flag from the entrypoint.
ENTRYPOINT ["node", "--single-threaded-gc", "/app/bin/sluice.js"]
CMD ["serve"]
