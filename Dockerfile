# One image for every Clovisor service; the command picks the stage
# (capture | decode | correlate | export | run). See docker-compose.yml.
FROM node:20-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends clang llvm libbpf-dev make g++ pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/clovisor
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY packages packages
COPY services services
COPY bpf bpf
COPY schemas schemas
COPY bin bin
COPY scripts scripts
RUN npm ci --no-audit --no-fund --ignore-scripts && bash scripts/build.sh && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libbpf1 iproute2 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/clovisor
COPY --from=build /opt/clovisor /opt/clovisor
ENTRYPOINT ["node", "/opt/clovisor/bin/clovisor.js"]
CMD ["--help"]
