// --help of `clovisor replay` and `clovisor topics` (help.ts lists them with the others).

export const REPLAY_HELP = `Usage: clovisor replay [--from <topic>] [--start <ISO time|offset>] [--end <ISO time|offset>]
                       [--partition <n> ...] [--id <replay-id>] [--plugin <protocol>=<module> ...]
                       [--otlp-endpoint <url> [--otlp-protocol http|grpc]] [--legacy-tags] [--brokers ...]

Re-decodes captured segments with this version's decoder and correlator: reads a range of
--from, runs decode -> correlate over it in this process and writes the results to topics of
the replay's own, created with as many partitions as --from:
  clovisor.transactions.v1.replay-<id>, clovisor.spans.v1.replay-<id>, clovisor.deadletter.v1.replay-<id>
or, with --otlp-endpoint, sends the spans straight to that OTLP endpoint (transactions are not
written; dead letters still go to the replay's dead-letter topic). The live pipeline, its
topics and its consumer groups are not touched. It stops at the end of the range and exits 0
with a summary (records, transactions, spans, dead letters, duration, records/s, and how much
faster than the traffic was captured).

Range (per partition, start included, end excluded):
  --from <topic>            the segments topic; default clovisor.segments.v1 (+ CLOVISOR_TOPIC_SUFFIX)
  --start <offset|time>     default: the earliest record still held
  --end <offset|time>       default: the end of each partition when the replay starts, so it
                            ends even while capture keeps writing
        An offset (digits) applies to every partition read. An ISO 8601 time
        (2026-11-23T13:40:00Z, 2026-11-23T14:40:00+01:00, 2026-11-23) selects by the records'
        Kafka timestamps (when capture published them): per partition, the first record at
        or after that time.
  --partition <n>           read only this partition, repeatable; default all

Output:
  --id <replay-id>          names the output topics (1-64 of A-Z a-z 0-9 _ -); default the
                            UTC start time, e.g. 20261123T134501Z. An id whose topics already
                            hold records is refused: a second run would mix with the first.
  --otlp-endpoint <url>     spans to this OTLP endpoint instead of the span topic
  --otlp-protocol http|grpc CLOVISOR_OTLP_PROTOCOL, default http
  --plugin <protocol>=<module path>  decoder plugins, as for clovisor decode (CLOVISOR_PLUGINS);
                            Redis plugin entries are not read: a replay is configured by its flags
  --legacy-tags             Clovisor's original tag names on HTTP spans too (CLOVISOR_LEGACY_TAGS=1)
  --brokers <host:port,...> CLOVISOR_BROKERS, default 127.0.0.1:9092
  --log-level debug|info|warn|error

Determinism: the same range replayed twice gives the same records (keys, values, span ids),
in the same order per partition. Partitions are merged by capture time (then partition,
offset); idle flows are flushed by capture time, not the wall clock; SERVER spans still waiting
for their CLIENT capture at the end are written unjoined. (A --plugin that times out is the
exception: its timeout is wall-clock time.)

Progress goes to stderr: a bar (records, rate, ETA) on a terminal, a plain line every 5 s
otherwise. SIGINT stops reading, writes what was decoded and exits 130.

Exit status: 0 done; 2 bad flags (unknown topic or partition, --start after --end, a time that
is not ISO 8601, an id already used); 1 Kafka or the OTLP endpoint unavailable.

Examples:
  clovisor replay --start 2026-11-23T13:00:00Z --end 2026-11-23T13:05:00Z --id incident-42
  clovisor replay --partition 0 --start 1200 --end 1800 --otlp-endpoint http://jaeger:4318`;


export const TOPICS_HELP = `Usage: clovisor topics create [--topic <name> ...] [--partitions <n>] [--retention <duration>]
                              [--compression gzip|snappy|lz4|zstd|none] [--replication-factor <n>]
       clovisor topics describe [--topic <name> ...] [--json]

create   creates Clovisor's topics that are missing, each with its own defaults; an existing
         topic is left exactly as it is (said so). Flags override the defaults for every
         topic selected.
describe prints, per topic: partitions with leader, replicas and in-sync replicas, offsets
         and high-water marks, records held, and retention.ms, compression.type,
         cleanup.policy, max.message.bytes (--json: the same as JSON, plus more configs).

  --topic <name>            segments, int, transactions, spans, deadletter, or the full name
                            (clovisor.spans.v1 ...); repeatable; default all five. describe
                            also takes a replay's topics (clovisor.spans.v1.replay-<id>).
                            Names get CLOVISOR_TOPIC_SUFFIX like everywhere else.
  --partitions <n>          default CLOVISOR_PARTITIONS or 3
  --retention <duration>    e.g. 12h, 3d, 2w, 30m, forever
  --compression <codec>     the broker stores batches in this codec. Clovisor's stages read with
                            KafkaJS, which decodes gzip only: lz4, snappy and zstd are refused on
                            segments, int, transactions and spans (fine on deadletter)
  --replication-factor <n>  default the broker's default.replication.factor
  --brokers <host:port,...> CLOVISOR_BROKERS, default 127.0.0.1:9092

Defaults (why: docs/topic-admin.md):
  topic                      retention  compression  cleanup
  clovisor.segments.v1       3d         producer     delete   (as sent: uncompressed today)
  clovisor.int.v1            1d         producer     delete
  clovisor.transactions.v1   7d         gzip         delete
  clovisor.spans.v1          7d         gzip         delete
  clovisor.deadletter.v1     14d        gzip         delete

Exit status: 0 done; 2 bad flags or a setting the broker refuses; 1 Kafka unavailable.`;
