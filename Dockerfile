# Node.js 24, an LTS line (26 is supported too). The CI machine has no Docker engine: .ci/run tests the same
# code on Node 24 taken from the npm registry's `node` package instead.
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
  && mkdir -p /app/data && chown node:node /app/data
ENV HOST=0.0.0.0 PORT=3000 DATA_DIR=/app/data
# As `npm start`: a 1 GiB heap limit keeps V8's heap growth between collections small (README "Operations").
ENV NODE_OPTIONS=--max-old-space-size=1024
# At most two malloc arenas: memory Node's helper threads free stays resident otherwise (README "Operations").
ENV MALLOC_ARENA_MAX=2
EXPOSE 3000
# The code and dependencies stay root's and read-only to the server; only the embedded database's
# directory (unused with DATABASE_URL) is the server user's.
USER node
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/src/server.js"]
