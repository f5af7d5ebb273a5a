// --help texts. Kept next to each other so they stay consistent with one another and the README.
import { REPLAY_HELP, TOPICS_HELP } from './help-replay.js';

const PIPELINE_FLAGS = `
Connections (flag, environment, default):
  --brokers <host:port,...>     CLOVISOR_BROKERS        127.0.0.1:9092
  --otlp-endpoint <url>         CLOVISOR_OTLP_ENDPOINT  http://127.0.0.1:4318 (grpc: http://127.0.0.1:4317)
  --otlp-protocol http|grpc     CLOVISOR_OTLP_PROTOCOL  http
  --redis <url>                 CLOVISOR_REDIS_URL      redis://127.0.0.1:6379
                                (Clovisor's Redis configuration keys; today the decoder reads
                                 its plugins there: hash clovisor_proto_cfg, channel
                                 clovisor_proto_plugin_cfg_chan; Redis down = flag plugins only)
  --partitions <n>              CLOVISOR_PARTITIONS     3  (for topics this creates)
  --schema-registry <url>       CLOVISOR_SCHEMA_REGISTRY  none
                                Confluent Schema Registry: register the schemas this process
                                writes under <topic>-value and write the Confluent wire format
                                (00 + schema id); readers accept it and single-object encoding
  (environment only) CLOVISOR_TOPIC_SUFFIX  appended to every topic and consumer-group name,
                                to run isolated pipelines on one Kafka
  --log-level debug|info|warn|error  CLOVISOR_LOG_LEVEL info
  --metrics-port <port>         CLOVISOR_METRICS_PORT   capture and run 9464, decode 9465,
                                correlate 9466, export 9467; 0 = off
                                Prometheus /metrics on 0.0.0.0: the clovisor_<stage>_* counters
                                of every stage of this process (drops, evictions, dead letters
                                included) on one port (docs/self-observability.md)

Self-tracing (docs/self-observability.md), off by default:
  --self-trace-endpoint <url>   CLOVISOR_SELF_TRACE_ENDPOINT  off
        trace Clovisor's own Kafka produce/consume with the OpenTelemetry Node SDK and send
        those spans over OTLP/HTTP to <url>/v1/traces (not through clovisor.spans.v1). The
        SDK's OTEL_* variables apply, e.g. OTEL_TRACES_SAMPLER=parentbased_traceidratio.
  --self-trace-service <name>   CLOVISOR_SELF_TRACE_SERVICE   clovisor-<command>
`;

const PLUGIN_FLAGS = `
Decoder plugins (docs/plugins.md):
  --plugin <protocol>=<module path> CLOVISOR_PLUGINS (comma-separated)
        an ES module decoding <protocol> in its own worker thread, repeatable; flows whose port
        name is <protocol> (or one of the plugin's portNames/ports) go to it. A plugin that
        throws, hangs (2 s) or runs out of memory (64 MiB) fails that batch only: the batch goes
        to clovisor.deadletter.v1 (PLUGIN_ERROR/TIMEOUT/MEMORY). Redis entries win over flags.
`;

const CORRELATOR_FLAGS = `
Correlator (docs/spans.md):
  --legacy-tags                 CLOVISOR_LEGACY_TAGS=1  off
        also put Clovisor's original tag names on HTTP spans (reqmethod, requrl, srcip, dstport,
        requestid, podname, ...), next to the OpenTelemetry attributes.
  --request-id-window-ms <ms>   CLOVISOR_REQUEST_ID_WINDOW_MS  30000
        how long (capture time) a hop carrying only x-request-id can join the trace of another
        hop of the same request.
  --request-id-hold-ms <ms>     CLOVISOR_REQUEST_ID_HOLD_MS    2000
        how long such a hop, seen before any hop of its request with trace context, waits for
        one before taking a trace of its own; 0 = never wait (traffic that never carries
        trace context then leaves without delay).
  --warmup-records <n>          CLOVISOR_WARMUP_RECORDS        100000
        records of a partition read again, from before its committed offset, when this
        correlator gets the partition (start, restart, rebalance): they rebuild the spans it
        still held; 0 = no warm-up (held spans of a crashed correlator are then lost).
`;

const INT_FLAGS = `
INT telemetry reports (docs/int.md), off without a collector:
  --int-collector <host:port>   CLOVISOR_INT_COLLECTOR   off
        read clovisor.int.v1 (group clovisor-int-exporter) and send one INT telemetry report per
        hop/drop event over UDP to this collector; [v6]:port for IPv6
  --int-version 0.5|2           CLOVISOR_INT_VERSION     0.5 (int-host-reporter's format; 2 = v2.0)
  --int-switch-id <uint32>      CLOVISOR_INT_SWITCH_ID   the node's IPv4 address as a number
  --int-hw-id <0..63>           CLOVISOR_INT_HW_ID       0
`;

const CAPTURE_FLAGS = `
Capture (flag, environment, default):
  --interface <ifname>[=<service>]  CLOVISOR_INTERFACES (comma-separated)
        an interface to trace, repeatable; usually a pod's host-side veth. <service> names
        the pod's service (span resource service.name); without it the interface name is used.
  --port <port>=<protocol>          CLOVISOR_PORTS (comma-separated)
        a server port to trace and its protocol, repeatable. Decoded: http, http2, grpc,
        dns (UDP and TCP), redis, postgres, kafka; mysql mqtt mongo tcp tls udp are captured
        and published (decode them with a plugin, see docs/plugins.md).
  --snaplen <bytes>                 CLOVISOR_SNAPLEN    4096 (64-8192): payload bytes copied per packet
  --node <name>                     CLOVISOR_NODE_NAME or NODE_NAME, else the host name
  --kubernetes                      CLOVISOR_KUBERNETES=1
        follow the pods of this node (--node) instead of --interface/--port (which it refuses):
        pods selected by Redis clovisor_labels, ports and protocols from their services,
        egress rules from clovisor_egress_match, all applied live (docs/kubernetes.md).
        Records what it attached in CLOVISOR_STATE_DIR (/run/clovisor) to remove stale filters
        after a crash.
  --kubeconfig <path>               KUBECONFIG, ~/.kube/config, else in-cluster service account
  --node-interface <ifname>         CLOVISOR_NODE_INTERFACES (comma-separated)
        a node NIC, repeatable: packets of flows already seen on a traced pod interface are
        timed there (request out, response in) and the times put on the flow's segments
        (nodeTimestampNs; spans get clovisor.node_interface.* attributes). Nothing else is recorded.
  --flow-table-size <entries>       CLOVISOR_FLOW_TABLE_SIZE 131072 (1024-16777216): kernel flow
        table capacity (about 250 bytes of kernel memory per entry); when full, the kernel evicts
        the least recently used flow, counted in clovisor_capture_kernel_flows_removed_total{reason="lru"}
  --flow-idle-timeout <seconds>     CLOVISOR_FLOW_IDLE_TIMEOUT 120 (1-86400): kernel flow-table
        entries without a packet for this long are aged out (reason="idle")
  --ring-size <MiB>                 CLOVISOR_RING_SIZE 4 (a power of two, 1-256): capture ring
        buffer between the kernel and the agent; packets that find it full are counted in
        clovisor_capture_kernel_lost_events_total. The agent maps it twice (RSS ~2x the size)
`;

const INT_CAPTURE_FLAGS = `
INT telemetry capture (docs/int.md), off by default:
  --int                             CLOVISOR_INT=1
        also track packets across this host on every traced interface (pod veths and
        --node-interface NICs): hops (ingress/egress ifindex and times) and drops with the
        kernel's drop reason, published to clovisor.int.v1 for the exporter's INT reports.
        Needs kernel BTF (tp_btf kfree_skb, Linux 6.2+); without it --int fails at start.
  --int-watchlist <file>            CLOVISOR_INT_WATCHLIST  none = every TCP/UDP packet
        int-host-reporter's watchlist YAML (rules: protocol, src-addr, dst-addr; also
        src-port, dst-port), at most 64 rules, reloaded when the file changes (a bad edit
        keeps the last good rules); a file without rules watches nothing
  --int-report-interval-ms <ms>     CLOVISOR_INT_REPORT_INTERVAL_MS 1000 (0-3600000): one hop
        report per (flow, ingress, egress) per interval; 0 = every packet
  --int-latency-bucket-shift <n>    CLOVISOR_INT_LATENCY_BUCKET_SHIFT 16 (0-64): also report when
        the hop latency >> n changes (16 = 65.5 us steps); 64 = never
  --topology-port <port>            CLOVISOR_TOPOLOGY_PORT 4048: GET /api/v1/topology on 0.0.0.0,
        int-host-reporter's list of this node's links (0 = off)
  --node-address <ipv4>             CLOVISOR_NODE_ADDRESS or NODE_IP, else the first IPv4 of the
        first --node-interface: the node address in the records (the INT switch id)
`;

export const HELP: Record<string, string> = {
  replay: REPLAY_HELP,
  topics: TOPICS_HELP,
  main: `clovisor — trace the network sessions of Kubernetes pods with eBPF, into Kafka and Jaeger

Usage: clovisor <command> [flags]      (every command takes --help)

Commands:
  run        capture + decode + correlate + export in one process (one node, local use)
  capture    attach eBPF to interfaces, publish segments to clovisor.segments.v1
  decode     clovisor.segments.v1 -> TCP reassembly, protocol parsers -> clovisor.transactions.v1
  correlate  clovisor.transactions.v1 -> trace context, spans -> clovisor.spans.v1
  export     clovisor.spans.v1 -> OTLP (Jaeger); commits offsets only once the backend accepted
  stack      up|status|down|registry: the local stack of real servers (Kafka, Redis, Jaeger)
  demo       the whole pipeline on two demo pods: spans from Jaeger, INT hops and drops
  pcap       decode|import <file>, export -o <file>: a .pcap/.pcapng file offline, into or out of clovisor.segments.v1
  replay     re-decode a range of clovisor.segments.v1 into .replay-<id> topics or to OTLP
  topics     create|describe: Clovisor's topics with per-topic partitions, retention, compression
  int        listen: an INT collector that prints every telemetry report it receives

Quick start:  npm run demo        Tests:  npm test
Docs: README.md, docs/`,

  run: `Usage: clovisor run --interface <ifname>[=<service>] ... --port <port>=<protocol> ... [flags]
       clovisor run --kubernetes [--kubeconfig <path>] [flags]

Runs the four stages in one process. They talk only through their Kafka topics
(clovisor.segments.v1 -> clovisor.transactions.v1 -> clovisor.spans.v1), values in Avro.
Topics are created when missing, with the per-topic retention and compression of
'clovisor topics create'. Needs root (eBPF). SIGINT/SIGTERM detach the eBPF programs, flush,
commit and exit 0.

With --kubernetes and no --otlp-endpoint/CLOVISOR_OTLP_ENDPOINT, a Jaeger collector named in
Redis (clovisor_jaeger_collector, else clovisor_jaeger_agent) gives the OTLP endpoint
http://<its host>:4318 (4317 for grpc), followed live when the key changes.

Example:
  sudo clovisor run --interface veth-front=frontend --interface veth-back=backend --port 8080=http
${CAPTURE_FLAGS}${INT_CAPTURE_FLAGS}${PLUGIN_FLAGS}${CORRELATOR_FLAGS}${INT_FLAGS}${PIPELINE_FLAGS}`,

  capture: `Usage: clovisor capture --interface <ifname>[=<service>] ... --port <port>=<protocol> ... [flags]
       clovisor capture --kubernetes [--kubeconfig <path>] [--node <name>] [flags]

Attaches the tc eBPF program (clsact ingress and egress) to each interface, copies the packets
of the given server ports (payload up to --snaplen, plus SYN/FIN/RST; pure ACKs are skipped) and
publishes them per flow to clovisor.segments.v1. Needs root. Leaves no tc filter of its own behind
on exit and replaces its own stale filters from a crashed run at start.
TCP state changes, retransmits and resets of the pods' sockets (tp_btf tracepoints; needs kernel
BTF) go on the flows' records as tcpEvents; a kernel without them gets one log line saying so,
capture goes on without, and clovisor_capture_tcp_tracepoints_attached on /metrics shows 0.
CLOVISOR_TCP_EVENTS=0 (environment only) turns them off.
${CAPTURE_FLAGS}${INT_CAPTURE_FLAGS}${PIPELINE_FLAGS}`,

  decode: `Usage: clovisor decode [flags]

Consumes clovisor.segments.v1 (group clovisor-decoder), reassembles TCP by sequence number and
parses HTTP/1.x, HTTP/2 + gRPC, DNS, Redis, PostgreSQL, Kafka (and plugin protocols) into
request/response transactions on clovisor.transactions.v1. Records it cannot
decode go to clovisor.deadletter.v1.
${PLUGIN_FLAGS}${PIPELINE_FLAGS}`,

  correlate: `Usage: clovisor correlate [flags]

Consumes clovisor.transactions.v1 (group clovisor-correlator), extracts trace context
(traceparent, b3, x-b3-*, uber-trace-id, x-request-id) and publishes one span per transaction
to clovisor.spans.v1 (key: trace id). When both ends of a request are captured, the SERVER
span is made the child of the CLIENT span; a SERVER span seen first waits for it up to 2 s.
${CORRELATOR_FLAGS}${PIPELINE_FLAGS}`,

  export: `Usage: clovisor export [flags]

Consumes clovisor.spans.v1 (group clovisor-exporter) and sends the spans over OTLP to Jaeger or any
OTLP backend. Offsets are committed only after the backend accepted a batch; while it is down the
exporter retries with backoff and nothing is lost.
${INT_FLAGS}${PIPELINE_FLAGS}`,

  pcap: `Usage: clovisor pcap decode <file.pcap|file.pcapng> [--format ndjson|table] [--port <port>=<protocol> ...] [--node <name>]
                                   [--plugin <protocol>=<module> ...]
       clovisor pcap import <file> [--port <port>=<protocol> ...] [--node <name>] [--brokers <host:port,...>]
                                   [--topic <name>] [--partitions <n>] [--schema-registry <url>]
       clovisor pcap export -o <file.pcapng> [--topic <name>] [--flow <id> ...] [--start <ISO time|offset>]
                                   [--end <ISO time|offset>] [--partition <n> ...] [--brokers <host:port,...>]
                                   [--schema-registry <url>]

decode  reads the capture (classic pcap or pcapng; Ethernet, Linux cooked, raw IP, loopback) and
        runs the decoder's core on it — TCP reassembly, then the protocol of each flow: the
        --port rule of its server port, else recognised from its first bytes. Needs no Kafka.
        --format ndjson (default): one JSON object per transaction, in request start order:
          id flowId messageIndex protocol transport node interfaceName client{address,port}
          server{address,port} startNs endNs durationNs complete requestBytes responseBytes notes
          and the protocol's fields at top level: HTTP method target path status version;
          gRPC service method grpcStatus grpcMessage (httpMethod); DNS name type rcode answers;
          Redis command replyType error; PostgreSQL query tag error; Kafka apiName apiVersion
          topics errorCode clientId; plugins their attributes (attr.<name> if a name is taken).
          startNs/endNs are epoch nanoseconds as JSON strings of digits (they exceed 2^53).
        --format table: time (UTC), protocol, client -> server, summary, status, duration.
        --plugin: decoder plugins as for \`clovisor decode\` (flag or CLOVISOR_PLUGINS; not Redis);
          --port <port>=<plugin protocol> routes that port's flows to the plugin.
        Ends with one line of counters on stderr (packets, flows, transactions, gaps, invalid
        frames, resyncs, bytes skipped, ...).
import  publishes the file's segment batches to --topic (default clovisor.segments.v1, created
        with --partitions when missing) in Avro, key = flow id, exactly as \`clovisor capture\`
        would have; \`clovisor decode\` and the later stages then process them as live traffic.
        Prints how many batches, segments and flows were published.
export  writes the SegmentBatch records of --topic (default clovisor.segments.v1) to a pcapng file
        that Wireshark and tshark dissect: Ethernet/IPv4|IPv6/TCP|UDP frames rebuilt from the
        captured addresses, ports, seq/ack and flags, nanosecond timestamps, one interface block
        per captured interface (if_name = interface, if_description = node and ifindex, snaplen
        262144: the records do not keep the capture's), the flow id as each packet's comment. A payload the snaplen cut keeps its wire length (original
        length > captured length). What the records do not keep is made up: MAC addresses
        (02:… derived from the IP), IPv4 id 0 + DF, TTL 64, TCP window 65535, no TCP options;
        checksums are correct, or 0 on cut payloads. \`pcap import\` then \`pcap export\`
        gives back every payload byte.
        --start/--end: an offset (applied to every partition; --end is exclusive) or an ISO time
          with a zone (2026-11-23T10:00:00.5Z): reading starts at the first record published at
          or after it, and segments captured outside [start, end) are left out. Without --end the
          read stops at the high-water marks of when the command started.
        --flow <id> (repeatable): only these flows (16 hex digits, the record key).
        --partition <n> (repeatable): only these partitions.
        -o/--output: the file, written as <file>.partial and renamed when complete.
        Prints how many packets, flows and interfaces were written.

--port, --node, --brokers, --partitions, --schema-registry: as for \`clovisor run\` (CLOVISOR_PORTS,
CLOVISOR_NODE_NAME, CLOVISOR_BROKERS, CLOVISOR_PARTITIONS, CLOVISOR_SCHEMA_REGISTRY). Exit codes:
0 done, 2 bad flags, unreadable file or missing topic, 1 not a capture file or Kafka unreachable.`,

  int: `Usage: clovisor int listen [--listen <address>:<port>] [--json]

An INT collector for debugging, like tcpdump for INT: receives telemetry reports on UDP (what
\`clovisor export|run --int-collector\` sends, or int-host-reporter, or a switch) and prints each
one on a line: format (v0.5 or v2.0), flow or drop, sequence number, switch id, hw id, ingress
and egress port, hop latency, drop reason with its meaning, the inner packet's 5-tuple, sender.
--listen   where to receive (default 0.0.0.0:32766; [::]:<port> for IPv6; port 0 = any free
           port, printed at start on stderr)
--json     one JSON object per line instead: every decoded field (64-bit timestamps as strings),
           hopLatencyNs, dropReasonMeaning, flow, the packet as hex, from
Datagrams that are not reports are named on stderr. Ctrl-C stops and prints the counts. Exit
codes: 0 stopped, 2 bad flags or the port cannot be bound.`,

  demo: `Usage: clovisor demo [--requests <n>] [--keep]

Brings up the local stack, creates two demo pods (network namespaces behind veth pairs) with a
real HTTP server and curl, runs \`clovisor run --int\` on their host-side veths, sends <n> requests
(default 5) with W3C traceparent headers and prints the spans it finds in Jaeger, with the hop
latency INT measured across the host. INT reports go to a UDP collector in the demo process;
one more request is dropped on purpose (a policy rule for that request only), and the demo
prints the flow reports per veth pair (hop latency min/median/max) and the drop reports with
their INT drop reason. Without kernel BTF / Linux 6.2+, INT is left off and said so. --keep
leaves the pipeline and pods running until Ctrl-C. Everything the demo creates (pods, the
rule, the pipeline) is removed at the end, on an error and on Ctrl-C/SIGTERM (exit 130). Exit 1
when spans or INT reports are missing. Needs root.`,

  stack: `Usage: clovisor stack up [--registry] [--only <name>]... [--json] | status [--json]
                      | down [--only <name>]... | registry [--port <n>]

up      installs what is missing (cached in ~/.cache/clovisor) and starts, on this machine:
        Kafka (KRaft, single node, 127.0.0.1:9092), Redis (127.0.0.1:6379) and Jaeger v2 with
        in-memory storage (OTLP 127.0.0.1:4317/4318, query API 127.0.0.1:16686). Servers that
        already answer are reused. --json prints exactly one JSON object with the endpoints.
        --registry (or CLOVISOR_STACK_REGISTRY=1) starts the schema registry too: Apicurio
        Registry built once from Maven Central, on 127.0.0.1:8081 (CLOVISOR_SCHEMA_REGISTRY_PORT),
        storage in a file in the state dir so schema ids survive restarts; its URL for
        --schema-registry is http://127.0.0.1:8081/apis/ccompat/v7 ("schemaRegistry" in --json).
        --only kafka|redis|jaeger|registry (repeatable) brings up just those.
status  what runs, where, and whether this stack started it; the registry is listed when it
        was started, runs, or CLOVISOR_SCHEMA_REGISTRY names one. Exit 3 when a listed one is down.
down    stops what 'stack up' started (the registry included), nothing else; --only as for up.
registry  a throwaway schema registry in the foreground until Ctrl-C: in memory, so every start
        is empty and ids start again at 1 (records written before point at nothing or at another
        schema); on 127.0.0.1:<port> (default 8081); prints the URL to give --schema-registry.

Environment: CLOVISOR_BROKERS, CLOVISOR_REDIS_URL, CLOVISOR_OTLP_ENDPOINT, CLOVISOR_JAEGER_QUERY,
CLOVISOR_SCHEMA_REGISTRY name servers to use instead of starting them. CLOVISOR_STATE_DIR holds
pids, logs and the registry's storage (default ~/.local/state/clovisor/stack).`,
};
