// One Prometheus endpoint per process: every stage the process runs adds its metric families,
// so `clovisor run` serves capture's, the decoder's, the correlator's and the exporters' on one port.
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Component } from '../component.js';
import type { Logger } from '../logger.js';
import { MetricFamilies } from './families.js';
import { MetricsServer } from './metrics-server.js';

/** Defines a stage's families; returns what copies the stage's numbers into them (run on each scrape). */
export type StageMetrics = (families: MetricFamilies) => () => void;

export interface MetricsEndpointOptions {
  /** TCP port; 0 here means "any free port" (tests) — the CLI treats 0 as "no endpoint" before this */
  port: number;
  host?: string;
  /** prom-client's process_* and nodejs_* metrics; default true */
  processMetrics?: boolean;
}

export class MetricsEndpoint implements Component {
  readonly name = 'metrics';
  /** for families defined with prom-client directly (capture's, with its send-duration histogram) */
  readonly registry = new Registry();
  private readonly updates: Array<() => void> = [];
  private readonly server: MetricsServer;

  constructor(options: MetricsEndpointOptions, log: Logger) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.server = new MetricsServer({
      port: options.port,
      ...(options.host !== undefined ? { host: options.host } : {}),
      render: () => this.render(),
      contentType: this.registry.contentType,
    }, log);
  }

  /** Adds a stage's families under `prefix` (e.g. clovisor_decoder). */
  add(prefix: string, metrics: StageMetrics): void {
    this.onScrape(metrics(new MetricFamilies(this.registry, prefix)));
  }

  /** Runs `update` before each scrape is rendered. */
  onScrape(update: () => void): void {
    this.updates.push(update);
  }

  /** Prometheus text exposition of every stage's current numbers. */
  async render(): Promise<string> {
    for (const update of this.updates) update();
    return this.registry.metrics();
  }

  /** Listens; a port in use is a ConfigError saying what to do. */
  start(): Promise<void> {
    return this.server.start();
  }

  /** The bound port (useful when started with port 0). */
  port(): number {
    return this.server.port();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}
