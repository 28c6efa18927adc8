/**
 * Counts the entities Table Storage returns to a client's queries, for the dead-letter tests and bench: a pipeline
 * policy reads the `value` array of every query response body (the JSON the service sends, before the SDK
 * deserializes it).
 */
import type { TableClient } from '@azure/data-tables';

export interface TableReadCounter {
    /** Entities returned so far. */
    read: number;
    /** Bytes of the response bodies that returned them. */
    bytes: number;
    reset: () => void;
}

export function countEntitiesRead(client: TableClient): TableReadCounter {
    const counter: TableReadCounter = {
        read: 0,
        bytes: 0,
        reset: () => {
            counter.read = 0;
            counter.bytes = 0;
        },
    };
    client.pipeline.addPolicy({
        name: 'countEntitiesRead',
        sendRequest: async (request, next) => {
            const response = await next(request);
            if (request.method === 'GET' && response.status === 200 && response.bodyAsText) {
                const body = JSON.parse(response.bodyAsText) as { value?: unknown[] };
                if (Array.isArray(body.value)) {
                    counter.read += body.value.length;
                    counter.bytes += Buffer.byteLength(response.bodyAsText);
                }
            }
            return response;
        },
    });
    return counter;
}
