# syntax=docker/dockerfile:1
# ephemeral-guard container image: node /app/dist/main.js serve on distroless Node.js 20, as the
# distroless "nonroot" user (uid 65532), with production dependencies only. Nothing is written at
# run time, so it runs with readOnlyRootFilesystem (manifests/base/deployment.yaml).
#   docker build -t registry.example.com/ephemeral-guard:0.1.0 .
# Pin the base images by digest in your build pipeline (FROM image:tag@sha256:...).

# 1. Build: all dependencies (TypeScript is a dev dependency), then compile src/ to dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
# --ignore-scripts: `prepare` would compile before src/ is copied; no dependency needs a script.
RUN npm ci --ignore-scripts
COPY src ./src
# The build also compiles schemas/ to validators (scripts/compile-schemas.mjs), so start-up compiles none.
COPY schemas ./schemas
COPY scripts/compile-schemas.mjs ./scripts/
RUN npm run build

# 2. Production dependencies only, from the same lock file.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# 3. Runtime: no shell, no package manager. dist/ reads ../package.json (version), ../schemas and
# ../policies (the built-in default policy) relative to itself.
FROM gcr.io/distroless/nodejs20-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY schemas ./schemas
COPY policies ./policies
USER 65532:65532
# 8443: HTTPS webhook (/validate, /mutate, /healthz, /readyz); 9090: Prometheus /metrics.
EXPOSE 8443 9090
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/main.js", "serve"]
