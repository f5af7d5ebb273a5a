/** Default topic names (ARCHITECTURE.md, Topics and records). */
export const Topics = {
  segments: 'clovisor.segments.v1',
  int: 'clovisor.int.v1',
  transactions: 'clovisor.transactions.v1',
  spans: 'clovisor.spans.v1',
  deadletter: 'clovisor.deadletter.v1',
} as const;
export type TopicName = (typeof Topics)[keyof typeof Topics];
