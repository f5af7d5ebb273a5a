// Metric families of one stage, under one name prefix, filled from the stage's stats() when a
// scrape arrives (copy-on-scrape): the stage's hot paths only bump plain numbers, never prom-client.
import { Counter, Gauge, type Registry } from 'prom-client';

export type MetricValue = number | bigint;

/** A counter that mirrors a total kept by the stage. */
export interface TotalCounter {
  set(total: MetricValue): void;
}

/** A counter with one label, each label value mirroring its own total. */
export interface LabelledCounter {
  /** every label value, each time: label values missing here read as absent */
  set(totals: Record<string, MetricValue>): void;
}

export interface CurrentGauge {
  set(value: MetricValue): void;
}

/**
 * Defines `<prefix>_<name>` metrics in a registry. Counters are reset and set to the stage's
 * total on each scrape; the total only grows, so Prometheus sees a monotonic counter.
 */
export class MetricFamilies {
  constructor(private readonly registry: Registry, private readonly prefix: string) {}

  counter(name: string, help: string): TotalCounter {
    const metric = new Counter({ name: `${this.prefix}_${name}`, help, registers: [this.registry] });
    return {
      set(total) {
        metric.reset();
        metric.inc(Number(total));
      },
    };
  }

  labelledCounter(name: string, help: string, label: string): LabelledCounter {
    const metric = new Counter({ name: `${this.prefix}_${name}`, help, labelNames: [label], registers: [this.registry] });
    return {
      set(totals) {
        metric.reset();
        for (const [value, total] of Object.entries(totals)) metric.inc({ [label]: value }, Number(total));
      },
    };
  }

  gauge(name: string, help: string): CurrentGauge {
    const metric = new Gauge({ name: `${this.prefix}_${name}`, help, registers: [this.registry] });
    return { set: (value) => metric.set(Number(value)) };
  }
}
