# syntax=docker/dockerfile:1
# Tiyuh Hub image: compiled once in the build stage, run as the unprivileged `node` user from dist/.
# docker build -t tiyuh-hub . ; see compose.yaml for a kabupaten server (hub, worker, Postgres, Redis).

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts run after the sources are in (prepare compiles them).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
RUN node bin/build.js \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/var/lib/tiyuh-hub \
    CONFIG_DIR=/app/config
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY migrations ./migrations
COPY config ./config
RUN mkdir -p /var/lib/tiyuh-hub && chown node:node /var/lib/tiyuh-hub \
 && ln -s /app/bin/tiyuh-hub.js /usr/local/bin/tiyuh-hub
USER node
VOLUME ["/var/lib/tiyuh-hub"]
EXPOSE 3000
# /ready: the process answers and Postgres and Redis answer it. A worker container overrides this
# (compose.yaml) with `tiyuh-hub health`, which checks its own connections.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["tiyuh-hub", "health", "--hub"]
ENTRYPOINT ["tiyuh-hub"]
CMD ["serve"]
