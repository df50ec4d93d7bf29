# Container image for bi-scim: bundle src/ and its dependencies into dist/ (rolldown.config.ts), ship that alone, run as uid 10001.
ARG NODE_IMAGE=node:24.21-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# The lockfile alone decides the install layer, so source edits reuse it.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# config/ may be absent from a clone (git keeps no empty dirs).
RUN npm run build \
 && mkdir -p config \
 && chmod 0755 bin/bi-scim.js

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
# Memory (BENCHMARKS.md, figure 4): V8 sizes its young generation from the memory it sees (64 MiB semi-spaces on a
# big node without a limit, 1 MiB under a 256 MiB one), so it is fixed at 1 MiB wherever the image runs. glibc
# keeps freed request buffers in up to eight arenas per core and raises its mmap threshold after the first big
# free; one arena and a fixed 256 KiB threshold hand that memory back (−20 MiB after a 10,000-person push).
ENV NODE_OPTIONS="--max-semi-space-size=1" MALLOC_ARENA_MAX=1 MALLOC_MMAP_THRESHOLD_=262144
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/config ./config
# `bi-scim` on PATH for the entrypoint, `kubectl exec … bi-scim token create` and the `helm test` pod.
RUN ln -s /app/bin/bi-scim.js /usr/local/bin/bi-scim
# Files stay root-owned and read-only; nothing is written outside /tmp, so a read-only root filesystem works.
USER 10001:10001
EXPOSE 8080 9090
ENTRYPOINT ["bi-scim"]
CMD ["serve"]
