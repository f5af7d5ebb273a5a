import { join } from 'node:path';
import type { Logger, RecordProducer } from '@clovisor/core';
import type { MetricsEndpoint } from '@clovisor/core/metrics';
import type { CaptureStage, IntStage, KubernetesCapture } from '@clovisor/capture';
import { Defaults, type IntRunConfig, type RunConfig } from '../config.js';

// The capture part of `clovisor capture|run`: static (--interface/--port) or Kubernetes
// (--kubernetes: pods of this node, ports from their services, Clovisor's Redis configuration).

export type CaptureComponent = CaptureStage | KubernetesCapture;

/**
 * Why the capture settings cannot work, or null. --kubernetes takes interfaces and ports from
 * the cluster, so mixing in --interface/--port is refused rather than guessing which one wins.
 */
export function checkCaptureSources(config: RunConfig): string | null {
  if (config.kubernetes) {
    if (config.interfaces.length > 0) return '--kubernetes finds the interfaces of the pods itself: drop --interface (CLOVISOR_INTERFACES)';
    if (config.ports.length > 0) return '--kubernetes takes ports and protocols from the pods\' services: drop --port (CLOVISOR_PORTS)';
    return null;
  }
  if (config.kubeconfig) return '--kubeconfig needs --kubernetes';
  if (config.interfaces.length === 0) return 'give at least one --interface <ifname>[=<service>] (or --kubernetes)';
  if (config.ports.length === 0) return 'give at least one --port <port>=<protocol>';
  return null;
}

/** Loads only what the mode needs: the Kubernetes client costs tens of MB an agent without --kubernetes should not pay. */
/** `config.metrics`: the process's endpoint, where capture's families go (then no server of its own). */
export async function buildCapture(producer: RecordProducer, config: RunConfig & { metrics?: MetricsEndpoint | null }, log: Logger): Promise<CaptureComponent> {
  if (!config.kubernetes) {
    const { CaptureStage } = await import('@clovisor/capture/stage');
    return new CaptureStage(producer, config, log);
  }
  const { CaptureStage, KubernetesCapture } = await import('@clovisor/capture');
  // one record per node name: two agents on one host with the same state dir refuse to start
  const stateFile = join(config.stateDir, `capture-${config.node.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
  const stage = new CaptureStage(producer, { ...config, interfaces: [], ports: [], stateFile }, log);
  return new KubernetesCapture(stage, { node: config.node, redisUrl: config.redisUrl, kubeconfig: config.kubeconfig }, log);
}

/** INT telemetry (--int) on the interfaces the capture component traces. */
export async function buildInt(producer: RecordProducer, capture: CaptureComponent, node: string, config: IntRunConfig, log: Logger): Promise<IntStage> {
  const { IntStage } = await import('@clovisor/capture/int');
  const stage = 'captureStage' in capture ? capture.captureStage() : capture;
  return new IntStage(producer, stage, { node, ...config }, log);
}

/**
 * The OTLP endpoint of the exporter: --otlp-endpoint / CLOVISOR_OTLP_ENDPOINT when given, else
 * the collector Clovisor's Redis names (clovisor_jaeger_collector/agent, read at start by
 * --kubernetes capture), else the default. Logs which one and why.
 */
export function chooseOtlpEndpoint(config: RunConfig, capture: CaptureComponent | null, log: Logger): string {
  const suggestion = capture !== null && 'otlpSuggestion' in capture ? capture.otlpSuggestion() : null;
  if (config.otlpEndpointExplicit) {
    if (suggestion && suggestion.endpoint !== config.otlpEndpoint) log.info('OTLP endpoint from flag/environment; ignoring the one Redis suggests', { otlp: config.otlpEndpoint, redis: suggestion.endpoint, key: suggestion.from });
    return config.otlpEndpoint;
  }
  if (!suggestion) return config.otlpEndpoint;
  const endpoint = suggestedEndpoint(config, suggestion);
  log.info('OTLP endpoint from Redis', { otlp: endpoint, key: suggestion.from });
  return endpoint;
}

/**
 * Without --otlp-endpoint / CLOVISOR_OTLP_ENDPOINT, the exporter follows later changes of
 * clovisor_jaeger_collector/agent too (a removed key: back to the default endpoint).
 */
export function followOtlpSuggestion(config: RunConfig, capture: CaptureComponent | null, exporter: { setEndpoint(endpoint: string): void }, log: Logger): void {
  if (config.otlpEndpointExplicit || capture === null || !('onOtlpSuggestion' in capture)) return;
  capture.onOtlpSuggestion((suggestion) => {
    const endpoint = suggestion ? suggestedEndpoint(config, suggestion) : config.otlpProtocol === 'grpc' ? Defaults.otlpGrpc : Defaults.otlpHttp;
    log.info('OTLP endpoint from Redis changed', { otlp: endpoint, key: suggestion?.from ?? null });
    exporter.setEndpoint(endpoint);
  });
}

/** The suggestion names the OTLP/HTTP port; gRPC listens on 4317 next to it. */
function suggestedEndpoint(config: RunConfig, suggestion: { endpoint: string }): string {
  return config.otlpProtocol === 'grpc' ? suggestion.endpoint.replace(/:4318$/, ':4317') : suggestion.endpoint;
}
