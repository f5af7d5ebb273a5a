import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, errorMessage, type Logger } from '@clovisor/core';
import { describeRule, parseWatchlist, type WatchlistRule } from '../core/watchlist.js';

export interface WatchlistWatcherOptions {
  path: string;
  /** called with the new rules after every change that parsed (not with the initial rules: start() returns those) */
  onRules: (rules: WatchlistRule[]) => void;
  /** wait this long after the last file event before reading; default 200 ms */
  debounceMs?: number;
  /** re-read this often even without a file event (events can be missed on some file systems); default 10 s, 0 = never */
  pollMs?: number;
}

export interface WatchlistWatcherStats {
  /** changes applied */
  reloads: number;
  /** changes refused (unreadable, missing or invalid file); the last good rules stay */
  errors: number;
  rules: number;
}

/**
 * Follows the watchlist file. Watches its directory, not the file: editors replace files by
 * rename, and a Kubernetes ConfigMap volume swaps a `..data` symlink, so a watch on the file
 * itself would keep following the old inode. Events are debounced and the content compared, so
 * one edit is one reload. A bad edit keeps the last good rules and is logged once per distinct
 * problem.
 */
export class WatchlistWatcher {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private lastText: string | null = null;
  private lastProblem: string | null = null;
  private rules: WatchlistRule[] = [];
  private readonly counters = { reloads: 0, errors: 0 };
  private readonly path: string;

  constructor(private readonly o: WatchlistWatcherOptions, private readonly log: Logger) {
    this.path = resolve(o.path);
  }

  /** Reads the file (a missing or invalid file is a ConfigError: the user asked for it) and starts watching. */
  start(): WatchlistRule[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      throw new ConfigError(`--int-watchlist ${this.o.path}: cannot read it (${errorMessage(err)}); give an existing YAML file with \`rules:\``, { cause: err });
    }
    this.rules = parseWatchlist(text, { source: `--int-watchlist ${this.o.path}`, onWarning: (m) => this.log.warn(m) });
    this.lastText = text;
    this.logRules('INT watchlist loaded');
    try {
      this.watcher = watch(dirname(this.path), { persistent: false }, () => this.schedule());
      this.watcher.on('error', (err) => this.log.warn('watching the INT watchlist directory failed; still re-read periodically', { error: errorMessage(err) }));
    } catch (err) {
      this.log.warn('cannot watch the INT watchlist directory; it is re-read periodically', { path: dirname(this.path), error: errorMessage(err) });
    }
    const pollMs = this.o.pollMs ?? 10_000;
    if (pollMs > 0) {
      this.poll = setInterval(() => this.check(), pollMs);
      this.poll.unref();
    }
    return this.rules;
  }

  current(): WatchlistRule[] {
    return this.rules;
  }

  stats(): WatchlistWatcherStats {
    return { ...this.counters, rules: this.rules.length };
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearTimeout(this.timer);
    if (this.poll) clearInterval(this.poll);
    this.timer = undefined;
    this.poll = undefined;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.check();
    }, this.o.debounceMs ?? 200);
    this.timer.unref();
  }

  private check(): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      this.refuse(`cannot read it (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`, null);
      return;
    }
    if (text === this.lastText) {
      this.lastProblem = null; // readable and unchanged: the next problem is news again
      return;
    }
    let rules: WatchlistRule[];
    try {
      rules = parseWatchlist(text, { source: this.o.path, onWarning: (m) => this.log.warn(m) });
    } catch (err) {
      this.refuse(errorMessage(err), text);
      return;
    }
    this.lastText = text;
    this.lastProblem = null;
    this.rules = rules;
    this.counters.reloads += 1;
    this.logRules('INT watchlist reloaded');
    try {
      this.o.onRules(rules);
    } catch (err) {
      this.log.error('applying the reloaded INT watchlist failed', { error: errorMessage(err) });
    }
  }

  /** `text` = the bad content (so the same bad file is not counted again on every poll); null = unreadable. */
  private refuse(problem: string, text: string | null): void {
    if (text !== null) this.lastText = text;
    if (problem === this.lastProblem) return;
    this.lastProblem = problem;
    this.counters.errors += 1;
    this.log.warn(`INT watchlist change ignored, keeping the last good rules (${this.rules.length}): ${problem}`, { path: this.o.path });
  }

  private logRules(message: string): void {
    this.log.info(message, { path: this.o.path, rules: this.rules.length, ...(this.rules.length === 0 ? { note: 'no rules: nothing is watched' } : { first: describeRule(this.rules[0]!) }) });
  }
}
