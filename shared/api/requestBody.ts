import { ApiProblem } from './http';

/** Request bodies above this are refused with 413: a Sentinel incident with its entities is a few KiB. */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** The JSON body of a request: 413 past {@link MAX_REQUEST_BYTES}, 400 when missing or not JSON. */
export function parseBody(bodyText: string): unknown {
    if (Buffer.byteLength(bodyText, 'utf8') > MAX_REQUEST_BYTES) {
        throw new ApiProblem(413, 'body-too-large', `request bodies are limited to ${MAX_REQUEST_BYTES} bytes`);
    }
    if (bodyText.trim() === '') throw new ApiProblem(400, 'missing-body', 'the request needs a JSON body', 'body');
    try {
        return JSON.parse(bodyText) as unknown;
    } catch {
        throw new ApiProblem(400, 'invalid-json', 'the body is not valid JSON', 'body');
    }
}
