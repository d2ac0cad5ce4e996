/**
 * Ordered async map with a bounded look-ahead: at most `concurrency` items are being produced
 * (sharp decodes on libuv's thread pool, so this uses every core) and results come back in input
 * order. Memory stays bounded by `concurrency` decoded images whatever the dataset size.
 */
export async function* prefetchMap<T, R>(
  items: Iterable<T>,
  fn: (item: T, index: number) => Promise<R>,
  concurrency: number,
): AsyncGenerator<R> {
  const iterator = items[Symbol.iterator]();
  const queue: Promise<R>[] = [];
  let index = 0;
  const fill = () => {
    while (queue.length < concurrency) {
      const next = iterator.next();
      if (next.done) return;
      const p = fn(next.value, index++);
      // Rejections are observed when the item is awaited; avoid unhandled-rejection noise.
      p.catch(() => undefined);
      queue.push(p);
    }
  };
  fill();
  while (queue.length > 0) {
    const head = queue.shift() as Promise<R>;
    fill();
    yield await head;
  }
}

/** Groups an async stream into arrays of `size` (the last one may be shorter). */
export async function* batches<T>(source: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of source) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * prefetchMap, started now instead of on the first `next()`: its first `concurrency` items are
 * produced while the caller does other work before it consumes them.
 */
export function startPrefetchMap<T, R>(
  items: Iterable<T>,
  fn: (item: T, index: number) => Promise<R>,
  concurrency: number,
): AsyncIterableIterator<R> {
  const generator = prefetchMap(items, fn, concurrency);
  let first: Promise<IteratorResult<R>> | undefined = generator.next();
  first.catch(() => undefined); // observed by the first next()
  return {
    next() {
      const started = first;
      first = undefined;
      return started ?? generator.next();
    },
    return(value?: unknown) {
      first = undefined;
      return generator.return(value as R);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
