# The ldsync worker image. The Temporal SDK's native module needs glibc, hence Debian, not Alpine.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# Dev dependencies stay out; tsx (a runtime dependency) runs the TypeScript sources directly.
RUN npm ci --omit=dev && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY migrations ./migrations
COPY tsconfig.json ./
USER node
ENTRYPOINT ["node", "bin/ldsync.js"]
CMD ["worker"]
