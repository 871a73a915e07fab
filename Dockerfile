# The ldsync worker image (also runs `ldsync migrate` and every other ldsync command).
#   docker build -t launchdarkly-sync .
#   docker build --build-arg BASE_IMAGE=my-registry/node:20-bookworm-slim -t launchdarkly-sync .
# BASE_IMAGE must be a glibc Node.js 20 image with npm (the Temporal SDK's native core has no musl
# build, so no Alpine) and apt-get (Debian or Ubuntu). deploy/base-image.sh builds one from Debian
# packages where no image registry is reachable.
ARG BASE_IMAGE=node:20-bookworm-slim

# --- build: compile to dist/ and bundle the workflow code once (npm run build) -------------------
FROM ${BASE_IMAGE} AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.ts scripts/
COPY src src
COPY workflows workflows
COPY activities activities
COPY migrations migrations
RUN npm run build
# Production dependencies only, and none of the optional ones: those are embedded Postgres (for
# `ldsync dev`), and the esbuild and swc binaries that tsx and the workflow bundler need, and the
# prebuilt bundle does not. The SDK's native core ships binaries for five platforms: keep this one.
RUN npm prune --omit=dev --omit=optional --no-audit --no-fund \
 && core=node_modules/@temporalio/core-bridge \
 && keep="$(uname -m | sed 's/arm64/aarch64/')-unknown-linux-gnu" \
 && test -d "$core/releases/$keep" \
 && find "$core/releases" -mindepth 1 -maxdepth 1 ! -name "$keep" -exec rm -rf {} + \
 && rm -rf "$core/sdk-core" "$core/src" \
 && npm cache clean --force

# --- runtime ------------------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS runtime
# ca-certificates: TLS to Temporal Cloud, LaunchDarkly and a managed Postgres (slim images lack it).
# tini: PID 1 that forwards SIGTERM to node and reaps children.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin ldsync
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /build/package.json ./
COPY --from=build /build/node_modules node_modules
COPY --from=build /build/dist dist
USER ldsync:ldsync
# Healthy while the Temporal server lists this container's worker (ldsync@<hostname>/<pid>) among the
# task queue's recent pollers of workflow and activity tasks; only meaningful for `worker`.
HEALTHCHECK --interval=30s --timeout=15s --start-period=30s --retries=3 \
  CMD ["node", "dist/src/temporal/worker-probe.js"]
# On SIGTERM (docker stop) the worker stops polling and gives in-flight activities 10 s to finish
# their page; give the container more than that (compose: stop_grace_period: 30s; docker stop -t 30).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/src/main.js"]
CMD ["worker"]
