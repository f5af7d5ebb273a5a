export { StackError, type StackErrorCode } from './errors.js';
export { resolveConfig, COMPONENTS, type ComponentName, type StackConfig, type StackEndpoints, type StackOptions, type StackPorts } from './config.js';
export { stackUp, stackStatus, stackDown, type StackUpOptions, type StackStatus, type ComponentStatus } from './stack.js';
export { probeKafka, type KafkaBroker } from './probe-kafka.js';
export { probeRedis, parseRedisUrl } from './probe-redis.js';
export { probeJaeger } from './probe-jaeger.js';
export type { ProbeResult } from './tcp.js';
export { formatStatus } from './format.js';
export { dockerEngineReachable } from './docker-seam.js';
