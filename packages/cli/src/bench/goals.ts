// Goals the issues set for benchmark figures; printed next to the figure with whether it is met.
// Issue 3 §8: traced/untraced throughput through a veth, and the capture agent's memory.
// Issue 5 §8: p99 packet → span in Jaeger ≤ 2 s at 5,000 requests/s (both figures must meet theirs).
// Issue 7 §1: replay at least 10× faster than the traffic was captured.

export interface Goal {
  atLeast?: number;
  atMost?: number;
}

export const GOALS: Record<string, Goal> = {
  http_veth_capture_only_to_untraced_ratio: { atLeast: 0.98 },
  capture_rss_100k_flows_mb: { atMost: 150 },
  e2e_latency_p99_ms: { atMost: 2000 },
  e2e_rate_rps: { atLeast: 5000 },
  replay_speedup_vs_capture: { atLeast: 10 },
};

/** "goal ≥ 0.98: met" / "goal ≤ 150: NOT met", or '' for a figure without a goal. */
export function describeGoal(name: string, value: number): string {
  const g = GOALS[name];
  if (g === undefined) return '';
  const met = (g.atLeast === undefined || value >= g.atLeast) && (g.atMost === undefined || value <= g.atMost);
  const bound = g.atLeast !== undefined ? `≥ ${g.atLeast}` : `≤ ${g.atMost}`;
  return `goal ${bound}: ${met ? 'met' : 'NOT met'}`;
}
