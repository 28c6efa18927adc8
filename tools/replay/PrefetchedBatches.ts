/** @module A file's batch stream started ahead of its turn, so its first chunk is read by the time it is needed. */
import type { IngestMessage } from '../../shared/ingest/ingestBatch';

/** An async generator whose first `next()` is called at once; its outcome (or error) is kept for the consumer. */
export class PrefetchedBatches implements AsyncIterable<IngestMessage[]> {
    private readonly first: Promise<IteratorResult<IngestMessage[]>>;

    constructor(private readonly source: AsyncGenerator<IngestMessage[]>) {
        this.first = source.next();
        this.first.catch(() => undefined); // handled: the consumer awaits `first` and sees the error then
    }

    close(): void {
        this.source.return(undefined).catch(() => undefined);
    }

    async *[Symbol.asyncIterator](): AsyncGenerator<IngestMessage[]> {
        let result = await this.first;
        while (result.done !== true) {
            yield result.value;
            result = await this.source.next();
        }
    }
}
