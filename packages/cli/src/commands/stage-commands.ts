import type { StageName } from './stages.js';

/** The pipeline commands and the stages each runs in its process. */
export const STAGE_COMMANDS: Record<string, StageName[]> = {
  run: ['capture', 'decode', 'correlate', 'export'],
  capture: ['capture'],
  decode: ['decode'],
  correlate: ['correlate'],
  export: ['export'],
};
