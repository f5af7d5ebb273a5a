// Counters and limits of the parse drivers (see DecoderStats for their meaning).

export interface DriverCounters {
  /** parseFrame said 'invalid' */
  invalidFrames: number;
  /** a frame boundary was found again after invalid bytes or a gap */
  resyncs: number;
  /** captured bytes dropped without being parsed: resync scans, undetected protocol */
  bytesSkipped: number;
  /** frames cut short and emitted with what was known */
  partialFrames: number;
  /** bytes after a protocol switch, not parsed */
  bytesAfterSwitch: number;
  /** frames that outgrew the driver's buffer bound */
  oversizedFrames: number;
}

export function newDriverCounters(): DriverCounters {
  return {
    invalidFrames: 0, resyncs: 0, bytesSkipped: 0, partialFrames: 0,
    bytesAfterSwitch: 0, oversizedFrames: 0,
  };
}

export interface DriverLimits {
  /** unconsumed bytes one direction may hold (a frame head still incomplete) */
  maxBufferedBytes: number;
  /** bytes kept after a failed boundary search, so a boundary split across segments is found */
  resyncKeepBytes: number;
}

export const DEFAULT_DRIVER_LIMITS: DriverLimits = {
  maxBufferedBytes: 128 * 1024,
  resyncKeepBytes: 16,
};
