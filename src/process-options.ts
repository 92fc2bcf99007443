// How the hub's process is started, by every launcher (main.ts' first line for the `berth` command, the hub image's
// entrypoint, `npm start`, the benchmarks): settings that keep its memory small and that only a launcher can give,
// as V8 sizes the heap and glibc its arenas before any of the hub's code runs. process-options.test.ts keeps the
// launchers in step with this file.

/**
 * V8's young generation at 1 MB a semi-space instead of 16: the hub allocates little per request, and at 16 the
 * main thread's new space alone held 30 MB of a 140 MB RSS after start-up (the proxy thread's as much under load).
 * --optimize-for-size: each isolate's heap grows by a smaller step before its next full collection, so garbage from a
 * burst of API calls is collected sooner: the hub's RSS after paging through 10,000 users went from 135 to 119 MB
 * (bench/scale), with the proxy's requests per CPU-second unchanged within the spread of bench/listener-ab rounds.
 */
export const HUB_NODE_ARGS = ['--max-semi-space-size=1', '--optimize-for-size'] as const;

/** Two malloc arenas instead of eight per core: the hub's threads (main, proxy, V8's and libuv's) left 7 MB in them. */
export const HUB_ENV = { MALLOC_ARENA_MAX: '2' } as const;
