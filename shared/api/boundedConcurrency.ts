/** @module Runs async work over a list with at most a fixed number of calls in flight, keeping the input order. */

/** `work` over every item, at most `concurrency` at a time; the results in input order. Rejects like `Promise.all`. */
export async function mapConcurrently<T, R>(
    items: readonly T[],
    concurrency: number,
    work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
    const results = new Array<R>(items.length);
    let next = 0;
    const worker = async (): Promise<void> => {
        while (next < items.length) {
            const index = next++;
            results[index] = await work(items[index] as T, index);
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
    return results;
}
