# syntax=docker/dockerfile:1
#
# AuthPlane image: the build stage compiles TypeScript to dist/ and prunes dev dependencies; the runtime stage runs
# the compiled CLI as the unprivileged `node` user. No Docker engine runs in CI: test/build/build.test.ts runs this
# file's COPY and RUN steps in the context .dockerignore leaves, then ENTRYPOINT and CMD (test/build/dockerfile.ts).
#
#   docker build -t authplane .
#   docker run -p 9000:9000 -p 127.0.0.1:9001:9001 -v authplane-data:/app/data \
#     -e AUTHPLANE_SERVER_ISSUER=https://auth.example.com \
#     -e AUTHPLANE_ADMIN_API_KEY=... -e AUTHPLANE_SESSION_SECRET=... authplane
#
# The admin listener binds :9001 inside the container (its default, 127.0.0.1:9001, would be unreachable from the
# host); publish it on the host's loopback only, as above. A config file goes to /app/authplane.config.ts (mount it
# read-only); it can import 'authplane' and 'authplane/plugins', which resolve to this image's dist/.

ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches the platform.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY kernel ./kernel
COPY plugins ./plugins
COPY testing ./testing
COPY migrations ./migrations
COPY scripts ./scripts
COPY admin-ui ./admin-ui
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    AUTHPLANE_SERVER_ADDRESS=:9000 \
    AUTHPLANE_ADMIN_ADDRESS=:9001 \
    AUTHPLANE_STORAGE_SQLITE_PATH=/app/data/authserver.db \
    AUTHPLANE_SIGNING_KEY_PATH=/app/data/keys
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The admin console is bundled at run time from the shell and the pages of the enabled plugins (docs/admin-ui.md):
# their sources ship beside dist, as in the npm package.
COPY --from=build /app/admin-ui/src ./admin-ui/src
COPY --from=build /app/plugins ./plugins
# SQLite database and signing keys (files mode 0600) live on the volume, owned by the runtime user.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 9000 9001
# /livez touches no dependency, so a database outage does not get the container restarted; slim images have no curl.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9000/livez').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The flags of dist/bin/authserver.js's shebang (kernel/cli/bundle-options.ts says why; a build test keeps them equal).
ENTRYPOINT ["node", "--max-semi-space-size=8", "--heap-growing-percent=50", "--single-threaded-gc", "dist/bin/authserver.js"]
CMD ["serve"]
