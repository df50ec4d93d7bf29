# Container image for bi-scim: compile with dev dependencies, ship dist/ with production dependencies only, run as uid 10001.
ARG NODE_IMAGE=node:24.21-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# The lockfile alone decides the install layer, so source edits reuse it.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# After compiling, reinstall with production dependencies only; config/ may be absent from a clone (git keeps no empty dirs).
RUN npm run build \
 && npm ci --omit=dev --no-audit --no-fund \
 && mkdir -p config \
 && chmod 0755 bin/bi-scim.js

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
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
