// "Stop the real Jaeger for 5 minutes under traffic, start it again: every span arrives, none
// twice." `clovisor export` runs as a child process against a PRIVATE stack of Kafka and Jaeger
// (@clovisor/stack with its own state dir and ports: the same binaries and configs as the shared
// stack), so this test can stop and restart Jaeger without disturbing the one other tests use,
// and no other `clovisor run` can join the exporter's consumer group (clovisor-exporter, fixed)
// and take this test's partitions and spans to another backend. Spans are produced straight to
// clovisor.spans.v1 with the core codec at a steady rate, before, during and after the outage.
//
// Jaeger's in-memory store forgets everything on restart, so the spans are counted per phase:
// those produced before the stop are checked on the first instance before stopping it; those
// produced during the outage and after the restart on the second instance. Counting uses the
// query API with raw=true: without it, Jaeger's DeduplicateSpans adjuster folds identical spans
// into one and a duplicate delivery could not be seen.
//
// CLOVISOR_OUTAGE_SECONDS (default 300, the 5 minutes)
// and CLOVISOR_OUTAGE_RATE (spans/s, default 20) tune the run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { RecordProducer, Topics, codecs, createKafka, createLogger, ensureTopics, stringAttr, type SpanRecord } from '@clovisor/core';
import { resolveConfig, stackDown, stackStatus, stackUp, type StackOptions } from '@clovisor/stack';
import { freePort } from '@clovisor/stack/testing';
import { startClovisor, type PipelineProcess } from '../lab/pipeline-process.js';

const OUTAGE_SECONDS = Number(process.env['CLOVISOR_OUTAGE_SECONDS'] ?? 300);
const RATE = Number(process.env['CLOVISOR_OUTAGE_RATE'] ?? 20);
const TICK_MS = 250;
const SPANS_PER_TRACE = 10;
const GROUP = 'clovisor-exporter';
/** after the restart the exporter may sit in a backoff of up to 30 s (StageConsumer's cap) plus one OTLP timeout */
const CATCH_UP_MS = 180_000;

const quiet = createLogger('jaeger-outage-test', () => undefined);
const runId = randomBytes(4).toString('hex');
const service = `outage-${runId}`;

let stackOpts: Required<Pick<StackOptions, 'stateDir' | 'cacheDir' | 'env' | 'ports'>>;
let otlpHttp: string;
let query: string;
let brokers: string;
let kafka: ReturnType<typeof createKafka>;
let admin: Admin;
let producer: RecordProducer;
let exporter: PipelineProcess | undefined;
let exporterExit: number | string | undefined;
let seq = 0;
/** ends the steady traffic; also aborted in after() so a failed test leaves no producing loop behind */
const stopTraffic = new AbortController();


/** Deterministic, unique per run: span n of trace floor(n / SPANS_PER_TRACE). */
function span(n: number): SpanRecord {
  const traceId = `${runId}${'0'.repeat(16)}${Math.floor(n / SPANS_PER_TRACE).toString(16).padStart(8, '0')}`;
  const spanId = `${runId}${(n + 1).toString(16).padStart(8, '0')}`; // +1: an all-zero span id is invalid
  const startNs = BigInt(Date.now()) * 1_000_000n;
  return {
    traceId, spanId, parentSpanId: null, traceState: null, traceFlags: 1,
    name: `GET /outage/${n}`, kind: 'SERVER', startNs, endNs: startNs + 1_000_000n,
    status: 'UNSET', statusMessage: null,
    attributes: { 'clovisor.test.seq': stringAttr(String(n)) },
    resource: { 'service.name': service },
    transactionId: `${runId}:${n}`,
  };
}

async function produce(count: number): Promise<SpanRecord[]> {
  const spans = Array.from({ length: count }, () => span(seq++));
  await producer.send(Topics.spans, spans.map((s) => ({ key: s.traceId, value: codecs().spans.encode(s) })));
  return spans;
}

/** Produces RATE spans/s until `stop` aborts; returns every span produced. */
async function steadyTraffic(stop: AbortSignal): Promise<SpanRecord[]> {
  const all: SpanRecord[] = [];
  const perTick = Math.max(1, Math.round((RATE * TICK_MS) / 1000));
  let next = Date.now();
  while (!stop.aborted) {
    all.push(...(await produce(perTick)));
    next += TICK_MS;
    await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
  }
  return all;
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** span id → how many times Jaeger stored it, for the traces of `spans` (raw: no dedup adjuster). */
async function storedCounts(spans: SpanRecord[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const traceIds = [...new Set(spans.map((s) => s.traceId))];
  for (let i = 0; i < traceIds.length; i += 16) {
    await Promise.all(traceIds.slice(i, i + 16).map(async (traceId) => {
      const res = await fetch(`${query}/api/traces/${traceId}?raw=true`);
      if (res.status === 404) return;
      if (!res.ok) throw new Error(`Jaeger query ${res.status}: ${await res.text()}`);
      const body = (await res.json()) as { data: Array<{ spans: Array<{ spanID: string }> }> | null };
      for (const trace of body.data ?? []) {
        for (const s of trace.spans) counts.set(s.spanID, (counts.get(s.spanID) ?? 0) + 1);
      }
    }));
  }
  return counts;
}

/** Polls until every span is stored at least once; returns the last counts either way. */
async function waitForSpans(spans: SpanRecord[], timeoutMs: number): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await storedCounts(spans).catch(() => new Map<string, number>());
    if (spans.every((s) => counts.has(s.spanId)) || Date.now() > deadline) return counts;
    await delay(1000);
  }
}

function assertExactlyOnce(spans: SpanRecord[], counts: Map<string, number>, phase: string, note = ''): void {
  const missing = spans.filter((s) => !counts.has(s.spanId)).map((s) => s.spanId);
  const twice = spans.filter((s) => (counts.get(s.spanId) ?? 0) > 1).map((s) => `${s.spanId}×${counts.get(s.spanId)}`);
  assert.deepEqual({ missing: missing.length, duplicated: twice.length }, { missing: 0, duplicated: 0 },
    `${phase}${note}: ${missing.length}/${spans.length} spans missing (${missing.slice(0, 5).join(', ')}), ${twice.length} stored more than once (${twice.slice(0, 5).join(', ')}); exporter log:\n${exporter?.log().slice(-3000)}`);
  const total = spans.reduce((n, s) => n + (counts.get(s.spanId) ?? 0), 0);
  assert.equal(total, spans.length, `${phase}: Jaeger holds ${total} copies of ${spans.length} spans`);
}

async function committed(): Promise<Map<number, bigint>> {
  const [topic] = await admin.fetchOffsets({ groupId: GROUP, topics: [Topics.spans] });
  // -1: nothing committed yet on that partition, i.e. at its start
  return new Map((topic?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset) < 0n ? 0n : BigInt(p.offset)]));
}

async function highWatermarks(): Promise<Map<number, bigint>> {
  return new Map((await admin.fetchTopicOffsets(Topics.spans)).map((p) => [p.partition, BigInt(p.high)]));
}

/** Until the group committed everything in the topic: after that nothing of ours can be sent again. */
async function waitCaughtUp(timeoutMs: number, note = ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lag = -1n;
  while (Date.now() < deadline) {
    const [c, h] = [await committed(), await highWatermarks()];
    lag = [...h].reduce((sum, [p, high]) => sum + high - (c.get(p) ?? 0n), 0n);
    if (lag === 0n) return;
    await delay(500);
  }
  assert.fail(`the exporter group still lags ${lag} records behind ${Topics.spans}${note}; exporter log:\n${exporter?.log().slice(-3000)}`);
}

/** The members of the exporter's group; ours should be the only one throughout. */
async function groupMembers(): Promise<string[]> {
  const { groups } = await admin.describeGroups([GROUP]);
  return (groups[0]?.members ?? []).map((m) => `${m.clientId}@${m.clientHost}`);
}

/** The private broker knows no other exporter: a second member would be a leftover of this run. */
function assertNoOtherMember(members: string[]): void {
  assert.ok(members.length <= 1, `${members.length} members in consumer group ${GROUP} (${members.join(', ')})`);
}

async function jaegerPid(): Promise<number | null> {
  return (await stackStatus(stackOpts)).components.jaeger.pid;
}

before(async () => {
  const taken = new Set<number>();
  stackOpts = {
    stateDir: mkdtempSync(join(tmpdir(), 'clovisor-outage-')),
    // the jars and the binary are the shared stack's (same cache); env {} keeps CLOVISOR_* endpoints
    // of the shell from redirecting "our" servers to the shared ones
    cacheDir: resolveConfig().cacheDir,
    env: {},
    ports: {
      kafka: await freePort(taken), kafkaController: await freePort(taken),
      otlpGrpc: await freePort(taken), otlpHttp: await freePort(taken), jaegerQuery: await freePort(taken), jaegerQueryGrpc: await freePort(taken),
    },
  };
  const endpoints = await stackUp({ ...stackOpts, only: ['kafka', 'jaeger'], log: () => undefined });
  brokers = endpoints.brokers;
  otlpHttp = endpoints.otlpHttp;
  query = endpoints.jaegerQuery;
  kafka = createKafka(brokers.split(','), `jaeger-outage-test-${runId}`, quiet);
  admin = kafka.admin();
  await admin.connect();
  await ensureTopics(kafka, [{ topic: Topics.spans, numPartitions: 3 }]);
  producer = new RecordProducer(kafka, quiet);
  await producer.start();
  exporter = await startClovisor(['export', '--otlp-endpoint', otlpHttp, '--otlp-protocol', 'http'], { ...process.env, CLOVISOR_BROKERS: brokers });
});

after(async () => {
  stopTraffic.abort();
  if (exporter && exporterExit === undefined) await exporter.stop();
  await producer?.stop().catch(() => undefined);
  await admin?.disconnect().catch(() => undefined);
  if (stackOpts) {
    await stackDown({ ...stackOpts, log: () => undefined });
    rmSync(stackOpts.stateDir, { recursive: true, force: true });
  }
});

test(`Jaeger down for ${OUTAGE_SECONDS} s under ${RATE} spans/s: every span arrives, none twice`, { timeout: (OUTAGE_SECONDS + 600) * 1000 }, async () => {
  const t0 = Date.now();
  const mark = (what: string) => process.stderr.write(`# jaeger-outage +${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}\n`);

  // 1. Jaeger up: spans flow, each once, and the group commits them all.
  const beforeSpans = await produce(5 * SPANS_PER_TRACE);
  assertExactlyOnce(beforeSpans, await waitForSpans(beforeSpans, 60_000), 'before the outage');
  const membersBefore = await groupMembers();
  assertNoOtherMember(membersBefore);
  assert.equal(membersBefore.length, 1, `the exporter is not in group ${GROUP}`);
  await waitCaughtUp(60_000);
  const watermarks = await highWatermarks();
  const firstPid = await jaegerPid();
  assert.ok(firstPid, 'the private Jaeger is recorded as ours');
  mark(`${beforeSpans.length} spans exported before the outage; stopping Jaeger pid ${firstPid}`);

  // 2. Stop Jaeger; traffic goes on for the whole outage and a while after the restart.
  await stackDown({ ...stackOpts, only: ['jaeger'], log: () => undefined });
  assert.equal((await stackStatus(stackOpts)).components.jaeger.up, false, 'Jaeger is down');
  const retriesBefore = (exporter!.log().match(/batch not processed, will retry/g) ?? []).length;
  const traffic = steadyTraffic(stopTraffic.signal);
  traffic.catch(() => undefined); // awaited below; this only keeps an early failure from being "unhandled"

  const outageEnd = Date.now() + OUTAGE_SECONDS * 1000;
  /** when the group was seen without a member: the broker evicted the exporter while it waited */
  let evictedAt: number | null = null;
  while (Date.now() < outageEnd) {
    await delay(Math.min(10_000, outageEnd - Date.now()));
    const members = await groupMembers();
    assertNoOtherMember(members);
    if (members.length === 0 && evictedAt === null) {
      evictedAt = Date.now();
      mark(`consumer group ${GROUP} has no member: the exporter was evicted while retrying`);
    }
    // Nothing produced after the stop may be committed while the backend cannot have it.
    for (const [partition, offset] of await committed()) {
      const w = watermarks.get(partition) ?? 0n;
      assert.ok(offset <= w, `partition ${partition} committed to ${offset} while Jaeger was down (outage traffic starts at ${w})`);
    }
    assert.equal(exporter!.child.exitCode, null, `the exporter exited during the outage:\n${exporter!.log().slice(-3000)}`);
  }
  const retries = (exporter!.log().match(/batch not processed, will retry/g) ?? []).length - retriesBefore;
  assert.ok(retries > 0, `the exporter logged no retry while Jaeger was down:\n${exporter!.log().slice(-3000)}`);
  mark(`outage over after ${retries} logged retries, ${seq - beforeSpans.length} spans produced so far; restarting Jaeger`);

  // 3. Start it again on the same ports: an empty store, so it must receive every later span once.
  await stackUp({ ...stackOpts, only: ['jaeger'], log: () => undefined });
  const secondPid = await jaegerPid();
  assert.ok(secondPid && secondPid !== firstPid, `a new Jaeger process (was ${firstPid}, now ${secondPid})`);
  await delay(5_000); // traffic across the restart, too
  stopTraffic.abort();
  const outageSpans = await traffic;
  mark(`Jaeger back (pid ${secondPid}); ${outageSpans.length} spans produced during and after the outage`);
  assert.ok(outageSpans.length >= Math.floor(OUTAGE_SECONDS * RATE * 0.9), `only ${outageSpans.length} spans were produced`);

  // the likeliest cause of what fails below, when it happened
  const note = evictedAt === null ? '' : ` (the broker had evicted the exporter from its group ${((evictedAt - t0) / 1000).toFixed(0)} s into the run)`;
  const seen = await waitForSpans(outageSpans, CATCH_UP_MS);
  mark(`${outageSpans.filter((s) => seen.has(s.spanId)).length}/${outageSpans.length} spans seen; waiting for the group to commit them`);
  // Once everything is committed no batch can be sent again: a duplicate would be there by now.
  await waitCaughtUp(60_000, note);
  assertExactlyOnce(outageSpans, await storedCounts(outageSpans), 'during and after the outage', note);
  mark('each span stored exactly once');

  // 4. The exporter lived through it, in its group all along (an evicted member's partitions go to
  // another replica, which sends the same batches again), and shuts down cleanly.
  assert.equal(evictedAt, null,
    `the broker evicted the exporter from group ${GROUP} ${((evictedAt ?? 0) - t0) / 1000} s into the run: no heartbeat within the session timeout while it retried; exporter log:\n${exporter!.log().slice(-3000)}`);
  assert.equal(exporter!.child.exitCode, null, 'the exporter is still running');
  exporterExit = await exporter!.stop();
  assert.equal(exporterExit, 0, exporter!.log().slice(-2000));
});
