// One lifecycle contract for every component (capture, decoder, correlator, exporter, and the
// Kafka shells): start() returns once running; stop() is safe without start() and twice, and
// flushes what it holds downstream before it resolves.
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
